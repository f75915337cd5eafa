import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { byteCharacters, ClipTokenizer } from "../../src/diffusion/tokenizer.js";

// Fixture vocabulary in CLIP's order: ids 0..255 are the byte characters, 256..511 the same
// with "</w>", then one id per merge (512 + rank), then <|startoftext|> and <|endoftext|>.
const MERGES = [
  "h e",
  "l l",
  "he ll",
  "hell o</w>",
  "i t</w>",
  "' s</w>",
  "d o",
  "do g</w>",
  "c a",
  "ca f",
];
const chars = byteCharacters();
const tokens = [
  ...chars,
  ...chars.map((c) => `${c}</w>`),
  ...MERGES.map((m) => m.replace(" ", "")),
  "<|startoftext|>",
  "<|endoftext|>",
];
const vocab = new Map(tokens.map((token, id) => [token, id]));
const ranks = new Map(MERGES.map((merge, rank) => [merge, rank]));
const BOS = 512 + MERGES.length;
const EOS = BOS + 1;
const HELLO = 512 + 3;
const IT = 512 + 4;
const APOSTROPHE_S = 512 + 5;
const DOG = 512 + 7;
const tokenizer = new ClipTokenizer({ vocab, ranks });

/** Returns the ids between the start token and the first end token. */
function body(ids: number[]): number[] {
  assert.equal(ids.length, 77);
  assert.equal(ids[0], BOS);
  return ids.slice(1, ids.indexOf(EOS));
}

describe("CLIP tokenizer", () => {
  it("byte map matches GPT-2", () => {
    // Printable bytes map to themselves; 0x20 (space) -> U+0120 "Ġ" and 0x0A -> U+010A "Ċ"
    // are the well-known GPT-2 byte characters.
    assert.equal(chars[0x41], "A");
    assert.equal(chars[0x20], "Ġ");
    assert.equal(chars[0x0a], "Ċ");
    assert.equal(new Set(chars).size, 256);
  });

  it("lowercases and cleans whitespace", () => {
    // "hello" merges h+e, l+l, he+ll, hell+o</w>; "world" has no merges: bytes, last with </w>.
    const world = [119, 111, 114, 108, 256 + 100];
    assert.deepEqual(body(tokenizer.encode("  HeLLo \n\t World ")), [HELLO, ...world]);
  });

  it("splits punctuation runs", () => {
    // "!!" is one run of symbols: "!" then "!</w>".
    assert.deepEqual(body(tokenizer.encode("hello!!")), [HELLO, 33, 256 + 33]);
    assert.deepEqual(body(tokenizer.encode("dog,hello")), [DOG, 256 + 44, HELLO]);
  });

  it("splits contractions", () => {
    // CLIP's pattern takes "'s" apart from the word: "it" + "'s".
    assert.deepEqual(body(tokenizer.encode("It's")), [IT, APOSTROPHE_S]);
  });

  it("splits digits singly", () => {
    assert.deepEqual(body(tokenizer.encode("42")), [256 + 52, 256 + 50]);
  });

  it("encodes unicode as utf-8 bytes", () => {
    // "é" is C3 A9: byte 0xC3 then 0xA9 with </w>. "café" merges c+a, ca+f first.
    assert.deepEqual(body(tokenizer.encode("é")), [0xc3, 256 + 0xa9]);
    assert.deepEqual(body(tokenizer.encode("Café")), [512 + 9, 0xc3, 256 + 0xa9]);
    // "É" lowercases to "é" before splitting.
    assert.deepEqual(body(tokenizer.encode("É")), [0xc3, 256 + 0xa9]);
  });

  it("pads with the end token", () => {
    assert.deepEqual(tokenizer.encode(""), [BOS, ...new Array(76).fill(EOS)]);
  });

  it("truncates at 77 keeping end", () => {
    const ids = tokenizer.encode(new Array(100).fill("dog").join(" "));
    assert.equal(ids.length, 77);
    assert.equal(ids[0], BOS);
    assert.deepEqual(ids.slice(1, 76), new Array(75).fill(DOG));
    assert.equal(ids[76], EOS);
  });

  it("special tokens in text", () => {
    assert.deepEqual(body(tokenizer.encode("dog <|endoftext|>")), [DOG]);
  });

  it("tokenizer.json with pair merges", async () => {
    // Newer tokenizer.json files list merges as [left, right] pairs and the special tokens
    // under added_tokens.
    const dir = await mkdtemp(join(tmpdir(), "d3s-tok-"));
    try {
      const plain = new Map([...vocab].filter(([token]) => !token.startsWith("<|")));
      const file = {
        model: {
          type: "BPE",
          vocab: Object.fromEntries(plain),
          merges: MERGES.map((m) => m.split(" ")),
        },
        added_tokens: [
          { id: BOS, content: "<|startoftext|>" },
          { id: EOS, content: "<|endoftext|>" },
        ],
      };
      await writeFile(join(dir, "tokenizer.json"), JSON.stringify(file));
      const loaded = await ClipTokenizer.fromFolder(dir);
      assert.deepEqual(loaded.encode("Hello, it's a dog"), tokenizer.encode("Hello, it's a dog"));
      assert.deepEqual(body(loaded.encode("hello dog")), [HELLO, DOG]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("pad token from config", async () => {
    // SD 2.x tokenizers pad with "!" (id 0 in CLIP; 33 in this fixture).
    const dir = await mkdtemp(join(tmpdir(), "d3s-tok-"));
    try {
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, "vocab.json"), JSON.stringify(Object.fromEntries(vocab)));
      await writeFile(join(dir, "merges.txt"), `#version: 0.2\n${MERGES.join("\n")}\n`);
      await writeFile(
        join(dir, "tokenizer_config.json"),
        JSON.stringify({ pad_token: { content: "!" }, model_max_length: 77 }),
      );
      const loaded = await ClipTokenizer.fromFolder(dir);
      assert.deepEqual(loaded.encode("dog"), [BOS, DOG, EOS, ...new Array(74).fill(33)]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
