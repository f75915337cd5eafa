#!/usr/bin/env node
// Builds src/data/imagenet-classes.json: index, WordNet id, name and definition of the 1000
// ImageNet-1k classes, from two Debian packages:
//   darknet       /usr/share/darknet/data/imagenet.labels.list (21842 ImageNet WordNet ids whose
//                 first 1000 are the ImageNet-1k classes; sorted, they give the standard order)
//   wordnet-base  /usr/share/wordnet/data.noun (WordNet 3.0; the id n<offset> is a byte offset)
// Usage: node scripts/build-imagenet-classes.mjs [LABELS_LIST] [DATA_NOUN] [OUT_JSON]
import { readFileSync, writeFileSync } from "node:fs";

const labelsPath = process.argv[2] ?? "/usr/share/darknet/data/imagenet.labels.list";
const nounPath = process.argv[3] ?? "/usr/share/wordnet/data.noun";
const outPath = process.argv[4] ?? "src/data/imagenet-classes.json";

// Classes whose position in the standard order is widely published, checked after sorting.
const ANCHORS = [
  [0, "n01440764", "tench"],
  [1, "n01443537", "goldfish"],
  [207, "n02099601", "golden retriever"],
  [999, "n15075141", "toilet tissue"],
];

/** Reads a WordNet data.noun line at its byte offset: the words and the gloss. */
function readSynset(data, offset) {
  const end = data.indexOf(0x0a, offset);
  const line = data.subarray(offset, end).toString("utf8");
  if (!line.startsWith(String(offset).padStart(8, "0"))) {
    throw new Error(`WordNet offset ${offset} does not start a synset line in ${nounPath}.`);
  }
  const [fields, gloss] = line.split(" | ");
  const parts = fields.split(" ");
  // Line layout: offset lex_filenum ss_type w_cnt(hex) then w_cnt pairs of (word, lex_id).
  const wordCount = Number.parseInt(parts[3], 16);
  const words = [];
  for (let i = 0; i < wordCount; i++) words.push(parts[4 + 2 * i].replace(/_/g, " "));
  // The gloss is the definition, then optional examples: `; "an example"`.
  const definition = gloss.split(/;\s*"/)[0].trim();
  return { words, definition };
}

const wnids = readFileSync(labelsPath, "utf8").split("\n").filter(Boolean).slice(0, 1000).sort();
if (new Set(wnids).size !== 1000) throw new Error(`Expected 1000 distinct ids in ${labelsPath}.`);
const data = readFileSync(nounPath);
const classes = wnids.map((wnid, index) => {
  const { words, definition } = readSynset(data, Number.parseInt(wnid.slice(1), 10));
  return { index, wnid, name: words[0], synonyms: words, definition };
});
for (const [index, wnid, name] of ANCHORS) {
  const entry = classes[index];
  if (entry.wnid !== wnid || entry.name !== name) {
    throw new Error(`Class ${index} is ${entry.wnid} ${entry.name}, expected ${wnid} ${name}.`);
  }
}
// One class per line keeps the file readable and its diffs small.
const lines = classes.map((entry) => JSON.stringify(entry));
writeFileSync(outPath, `[\n${lines.join(",\n")}\n]\n`);
process.stdout.write(`Wrote ${classes.length} classes to ${outPath}\n`);
