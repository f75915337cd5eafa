// Entry of decode workers when d3s runs from TypeScript sources through tsx: workers do not
// inherit the tsx loader, so this file registers it and then loads the TypeScript worker.
import { register } from "tsx/esm/api";

register();
await import("./decode-worker.ts");
