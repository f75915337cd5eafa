#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so a clone works without a build step.
import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname, join } from "node:path";
import { register } from "tsx/esm/api";

register();
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
await import(pathToFileURL(join(root, "src", "cli", "main.ts")).href);
