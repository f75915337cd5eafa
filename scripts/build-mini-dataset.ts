#!/usr/bin/env -S node --import tsx
// Rebuilds data/mini (the committed sources of the mini dataset) from the Debian packages
// dataset-fashion-mnist and gimp-data. Usage: node --import tsx scripts/build-mini-dataset.ts [OUT]
import { fileURLToPath } from "node:url";
import { buildMiniSources } from "../src/data/mini/sources.js";

const outDir = process.argv[2] ?? fileURLToPath(new URL("../data/mini/", import.meta.url));
const manifest = await buildMiniSources({ outDir });
process.stdout.write(
  `Wrote ${manifest.fashion.sourceIndices.length} Fashion-MNIST items and ` +
    `${manifest.backgrounds.length} background patterns to ${outDir}\n`,
);
