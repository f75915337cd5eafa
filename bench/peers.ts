import { join } from "node:path";

/**
 * Returns the path of a peer benchmark script. The peers live in `shared/bench-peers/` beside
 * the repository (a checkout of the project's shared folder), and an environment variable can
 * point elsewhere.
 */
export function peerScript(name: string): string {
  return join(import.meta.dirname, "..", "..", "shared", "bench-peers", name);
}
