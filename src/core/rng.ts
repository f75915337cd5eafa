import { createHash } from "node:crypto";

/**
 * A seeded random generator (xoshiro128**) with Gaussian samples from the Box-Muller transform.
 * The same seed gives the same stream on every platform, which makes each item's noise
 * independent of batch size, sharding and restarts.
 */
export class Random {
  private readonly state = new Uint32Array(4);
  private spare: number | undefined;

  constructor(seed: number | string) {
    // SHA-256 spreads any seed over the 128-bit state, so nearby seeds give unrelated streams.
    const digest = createHash("sha256").update(String(seed)).digest();
    for (let i = 0; i < 4; i++) this.state[i] = digest.readUInt32LE(i * 4);
    if (this.state.every((word) => word === 0)) this.state[0] = 1;
  }

  /** Returns the next 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.state;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Returns a uniform float in [0, 1) with 53 bits of precision. */
  uniform(): number {
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** Returns an integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Returns a standard normal sample. */
  normal(): number {
    if (this.spare !== undefined) {
      const value = this.spare;
      this.spare = undefined;
      return value;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const radius = Math.sqrt(-2 * Math.log(u));
    this.spare = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  }

  /** Returns `length` standard normal samples as float32. */
  normals(length: number): Float32Array {
    const out = new Float32Array(length);
    for (let i = 0; i < length; i++) out[i] = this.normal();
    return out;
  }

  /** Shuffles an array in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Derives an item's seed from the run seed and the item id, so the item's noise is fixed. */
export function itemSeed(runSeed: number, itemId: string): string {
  return `${runSeed}:${itemId}`;
}
