import { byteCharacters } from "./tokenizer.js";

// Words the tiny tokenizer learns its merges from: the prompt vocabulary of d3s recipes and
// common photo words. A real model ships CLIP's own 49408-token vocabulary instead.
const CORPUS = `a an the of in on at and with photo picture image close up view of from
grass road forest water sand indoors snow rain night cave street field beach desert mountain
city house room kitchen garden park lake river sea ocean sky cloud sun light dark shadow
dog cat bird fish horse cow sheep bear zebra elephant giraffe monkey lion tiger fox wolf
car truck bus train boat ship plane bicycle motorcycle chair table sofa bed lamp clock
cup bottle bowl plate knife spoon fork pizza banana apple orange sandwich cake flower tree
red green blue yellow white black brown orange small large old new wooden metal plastic
chile india russia brazil japan china egypt saudi arabia ethiopia nigeria year century
photograph painting drawing sketch sculpture toy cartoon rendering origami tattoo embroidery
standing sitting running lying flying swimming parked walking sleeping eating playing`;

/** Special tokens of CLIP's vocabulary, appended after the merges as CLIP does. */
const SPECIAL_TOKENS = ["<|startoftext|>", "<|endoftext|>"];

/**
 * Trains a small byte-level BPE over a built-in word list and returns CLIP-format files:
 * vocab.json (256 byte characters, the same with `</w>`, one token per merge, then the start
 * and end tokens) and merges.txt. Ties between equally frequent pairs go to the
 * lexicographically smallest pair, so the output is the same on every run.
 */
export function tinyBpeFiles(maxMerges = 400): { vocab: Record<string, number>; merges: string } {
  const table = byteCharacters();
  const words = new Map<string, number>();
  for (const word of CORPUS.split(/\s+/u).filter(Boolean)) {
    const mapped = Array.from(new TextEncoder().encode(word), (b) => table[b]);
    mapped[mapped.length - 1] += "</w>";
    const key = mapped.join(" ");
    words.set(key, (words.get(key) ?? 0) + 1);
  }
  let pieces = [...words.entries()].map(([key, count]) => ({ parts: key.split(" "), count }));
  const merges: string[] = [];
  while (merges.length < maxMerges) {
    const best = mostFrequentPair(pieces);
    if (best === undefined) break;
    merges.push(best);
    const [left, right] = best.split(" ");
    pieces = pieces.map(({ parts, count }) => ({ parts: mergeAll(parts, left, right), count }));
  }
  const tokens = [
    ...table,
    ...table.map((c) => `${c}</w>`),
    ...merges.map((m) => m.replace(" ", "")),
    ...SPECIAL_TOKENS,
  ];
  const vocab: Record<string, number> = {};
  tokens.forEach((token, id) => {
    vocab[token] ??= id;
  });
  return { vocab, merges: `#version: 0.2\n${merges.join("\n")}\n` };
}

function mostFrequentPair(pieces: Array<{ parts: string[]; count: number }>): string | undefined {
  const counts = new Map<string, number>();
  for (const { parts, count } of pieces) {
    for (let i = 0; i < parts.length - 1; i++) {
      const pair = `${parts[i]} ${parts[i + 1]}`;
      counts.set(pair, (counts.get(pair) ?? 0) + count);
    }
  }
  let best: string | undefined;
  let bestCount = 0;
  for (const [pair, count] of counts) {
    if (count > bestCount || (count === bestCount && best !== undefined && pair < best)) {
      best = pair;
      bestCount = count;
    }
  }
  return best;
}

function mergeAll(parts: string[], left: string, right: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    if (i < parts.length - 1 && parts[i] === left && parts[i + 1] === right) {
      out.push(left + right);
      i += 1;
    } else out.push(parts[i]);
  }
  return out;
}
