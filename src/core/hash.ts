import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

/** Returns the SHA-256 of a file as hex, streaming so large weights never sit in memory. */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Returns the SHA-256 of a string or bytes as hex. */
export function hashBytes(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}
