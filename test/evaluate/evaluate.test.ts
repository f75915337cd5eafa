import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { parseModelSpec } from "../../src/evaluate/models.js";
import type { MetricRow } from "../../src/evaluate/metrics.js";
import {
  BLUE,
  GREEN,
  RED,
  writeColourClassifier,
  writeD3sSplit,
  writeFlatJpeg,
  writeSmallClassifier,
} from "./fixtures.js";
import { temporaryFolder } from "../support/temporary.js";

function row(rows: MetricRow[], space: string, set: string, scope: string): MetricRow {
  const found = rows.find((r) => r.space === space && r.set === set && r.scope === scope);
  assert.ok(found, `no row ${space}/${set}/${scope}`);
  return found;
}

test("evaluate counts a fixture classifier", async () => {
  const root = await temporaryFolder("d3s-evaluate-");
  const model = join(root, "colour.onnx");
  await writeColourClassifier(model);

  // Snow: red labelled 10 (top-1 right), red labelled 12 (top-5 only), green labelled 30 (wrong).
  // Grass: blue labelled 30 (right), green labelled 20 (right).
  const dataset = await writeD3sSplit(join(root, "data"), [
    { colour: RED, label: 10, background: "in snow" },
    { colour: RED, label: 12, background: "in snow" },
    { colour: GREEN, label: 30, background: "in snow" },
    { colour: BLUE, label: 30, background: "on grass" },
    { colour: GREEN, label: 20, background: "on grass" },
  ]);
  // An unreadable file listed in the metadata: counted, never dropped silently.
  const metadata = JSON.parse(await readFile(join(dataset, "metadata.json"), "utf8"));
  await writeFile(join(dataset, "background-shift", "broken.jpg"), "not an image");
  metadata.push({ ...metadata[0], image: "background-shift/broken.jpg", id: "broken" });
  await writeFile(join(dataset, "metadata.json"), JSON.stringify(metadata));

  // Reference: numeric folders 10 and 20; all four images are classified right.
  const reference = join(root, "reference");
  await writeFlatJpeg(join(reference, "10", "a.jpg"), RED);
  await writeFlatJpeg(join(reference, "10", "b.jpg"), RED);
  await writeFlatJpeg(join(reference, "20", "a.jpg"), GREEN);
  await writeFlatJpeg(join(reference, "20", "b.jpg"), GREEN);

  const out = join(root, "out");
  const { results, files } = await evaluate({
    dataset,
    reference,
    models: [model],
    out,
    workers: 2,
    batchSize: 2,
    resamples: 200,
    cacheDir: join(root, "cache"),
  });
  const rows = results[0].rows;

  // Dataset overall: top-1 right on 3 of 5, top-5 right on 4 of 5.
  const overall = row(rows, "full", "dataset", "overall");
  assert.equal(overall.n, 5);
  assert.equal(overall.top1, 3 / 5);
  assert.equal(overall.top5, 4 / 5);
  assert.equal(results[0].sets.dataset.unreadable, 1);
  assert.equal(results[0].sets.dataset.skipped[0].file, "background-shift/broken.jpg");

  // Per background: snow 1/3 top-1 and 2/3 top-5; grass 2/2 both.
  const snow = row(rows, "full", "dataset", "snow");
  assert.equal(snow.n, 3);
  assert.equal(snow.top1, 1 / 3);
  assert.equal(snow.top5, 2 / 3);
  assert.equal(row(rows, "full", "dataset", "grass").top1, 1);

  // Drop against the reference (4/4 right): 1 - 3/5 = 0.4 top-1, 1 - 4/5 = 0.2 top-5.
  assert.equal(row(rows, "full", "reference", "overall").top1, 1);
  assert.ok(Math.abs(overall.dropTop1! - 0.4) < 1e-12);
  assert.ok(Math.abs(overall.dropTop5! - 0.2) < 1e-12);
  // The reference is always right, so each resampled drop is 1 - (resampled accuracy) >= 0.
  assert.ok(overall.dropTop1Ci![0] >= 0, `drop low ${overall.dropTop1Ci![0]}`);
  assert.ok(overall.dropTop1Ci![1] <= 1, `drop high ${overall.dropTop1Ci![1]}`);
  assert.ok(overall.top1Ci[0] <= overall.top1, `top-1 low ${overall.top1Ci[0]}`);
  assert.ok(overall.top1 <= overall.top1Ci[1], `top-1 high ${overall.top1Ci[1]}`);

  // Class x background cells keep counts: class 30 on snow has 1 image and 0 right.
  const cell = results[0].cells.find((c) => c.label === 30 && c.background === "snow");
  assert.equal(cell?.n, 1);
  assert.equal(cell?.correctTop1, 0);

  // Files: per-model JSON, combined CSV with the hash, and the report.
  assert.ok(files.some((file) => file.endsWith("colour.json")));
  const csv = await readFile(join(out, "results.csv"), "utf8");
  assert.match(csv.split("\n")[1], new RegExp(`^colour,onnx,${results[0].model.sha256},`));
  const report = await readFile(join(out, "report.html"), "utf8");
  assert.match(report, /data-cell="m0:/);
  assert.match(report, /Misclassified by every model/);
});

test("class map scores restricted logits", async () => {
  const root = await temporaryFolder("d3s-evaluate-map-");
  const model = join(root, "colour.onnx");
  await writeColourClassifier(model);
  // Target label 0 = {12, 20}, label 1 = {10, 30}. A red image's full argmax is 10 -> label 1;
  // its restricted scores are max(logit 12, logit 20) for label 0 and max(10, 30) for label 1,
  // and logit 10 is the largest, so the restricted argmax is also label 1.
  const classMap = join(root, "map.json");
  await writeFile(classMap, JSON.stringify({ name: "two", labels: ["a", "b"], members: [[12, 20], [10, 30]] }));
  const dataset = await writeD3sSplit(join(root, "data"), [
    { colour: RED, label: 10, background: "in snow" }, // label 1, predicted 1: right
    { colour: RED, label: 12, background: "in snow" }, // label 0, predicted 1: wrong
    { colour: GREEN, label: 20, background: "in snow" }, // label 0, predicted 0: right
    { colour: BLUE, label: 0, background: "in snow" }, // ImageNet 0 is in no target label
  ]);
  const { results } = await evaluate({
    dataset,
    models: [model],
    out: join(root, "out"),
    classMap,
    workers: 1,
    resamples: 50,
    report: false,
  });
  const rows = results[0].rows;
  assert.equal(row(rows, "restricted", "dataset", "overall").n, 3);
  assert.equal(row(rows, "restricted", "dataset", "overall").top1, 2 / 3);
  assert.equal(row(rows, "mapped", "dataset", "overall").top1, 2 / 3);
  // Full 1000-way: 10 right, 12 wrong (top-5), 20 right, 0 wrong -> 2/4 top-1.
  assert.equal(row(rows, "full", "dataset", "overall").top1, 2 / 4);
  assert.equal(row(rows, "full", "dataset", "overall").top5, 3 / 4);
});

test("options reject bad values", async () => {
  await assert.rejects(
    evaluate({ dataset: "x", models: ["m.onnx"], out: "o", batchSize: 0 }),
    /Invalid --batch-size 0: use a whole number from 1 to 1024 \(default 32\)\.$/,
  );
  await assert.rejects(
    evaluate({ dataset: "x", models: ["m.onnx"], out: "o", resamples: 0 }),
    /Invalid --resamples 0: use a whole number from 10 to 100000 \(default 1000\)\.$/,
  );
  await assert.rejects(
    evaluate({ dataset: "x", models: ["m.onnx"], out: "o", device: "tpu" as "cpu" }),
    /Invalid --device "tpu": use one of cpu, cuda, webgpu\.$/,
  );
  await assert.rejects(
    evaluate({ dataset: "x", models: ["m.onnx"], out: "o", labelSpace: "target" }),
    /Invalid --label-space "target": target labels need --class-map/,
  );
  const empty = await temporaryFolder("d3s-empty-");
  await assert.rejects(
    evaluate({ dataset: empty, models: ["m.onnx"], out: "o" }),
    /Invalid --dataset .*d3s-empty-\w{6}: The folder has no class sub-folders/,
  );
});

test("missing folders name their flag", async () => {
  const root = await temporaryFolder("d3s-evaluate-flags-");
  const dataset = await writeD3sSplit(join(root, "data"), [{ colour: RED, label: 10, background: "in snow" }]);
  const missing = join(root, "imagenet-val");
  await assert.rejects(
    evaluate({ dataset, reference: missing, models: ["m.onnx"], out: join(root, "out") }),
    (error: Error) => {
      assert.match(error.message, /^Invalid --reference /);
      assert.ok(error.message.includes(missing), error.message);
      assert.match(error.message, /No such folder/);
      return true;
    },
  );
  await assert.rejects(
    evaluate({ dataset, models: [join(root, "absent.onnx")], out: join(root, "out") }),
    /Invalid --models .*absent\.onnx: no such file or folder\./,
  );
});

test("class map beyond outputs rejected", async () => {
  const root = await temporaryFolder("d3s-evaluate-badmap-");
  const model = join(root, "colour.onnx");
  await writeColourClassifier(model);
  const classMap = join(root, "map.json");
  // The colour classifier has outputs 0..999, so output 1000 does not exist.
  await writeFile(classMap, JSON.stringify({ labels: ["a"], members: [[1000]] }));
  const dataset = await writeD3sSplit(join(root, "data"), [{ colour: RED, label: 10, background: "in snow" }]);
  await assert.rejects(
    evaluate({ dataset, models: [model], out: join(root, "out"), classMap, workers: 1, report: false }),
    /colour\.onnx has output size 1000 \(output indices 0 to 999\), but --class-map "class-map" lists output index 1000/,
  );
});

test("hugging face folder loads", async () => {
  const root = await temporaryFolder("d3s-evaluate-hf-");
  const folder = join(root, "hf-colour");
  await writeColourClassifier(join(folder, "onnx", "model.onnx"));
  // A ConvNeXt-style processor: shortest edge 224, crop_pct 0.875, bicubic (PIL code 3).
  await writeFile(
    join(folder, "preprocessor_config.json"),
    JSON.stringify({ size: { shortest_edge: 224 }, crop_pct: 0.875, resample: 3, image_mean: [0.485, 0.456, 0.406], image_std: [0.229, 0.224, 0.225] }),
  );
  const id2label = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [String(i), `class ${i}`]));
  await writeFile(join(folder, "config.json"), JSON.stringify({ id2label }));
  const dataset = await writeD3sSplit(join(root, "data"), [{ colour: BLUE, label: 30, background: "in snow" }]);
  const { results } = await evaluate({ dataset, models: [folder], out: join(root, "out"), workers: 1, resamples: 20, report: false });
  assert.equal(results[0].model.kind, "huggingface");
  assert.equal(results[0].model.name, "hf-colour");
  assert.equal(results[0].model.preprocess.interpolation, "bicubic");
  assert.equal(results[0].model.preprocess.cropOffset, "floor");
  assert.equal(results[0].rows[0].top1, 1);
});

test("model specs carry presets", () => {
  assert.deepEqual(parseModelSpec("a/model.onnx:timm"), { path: "a/model.onnx", preprocess: "timm" });
  assert.deepEqual(parseModelSpec("model.onnx:cfg.json"), { path: "model.onnx", preprocess: "cfg.json" });
  // A colon that is not followed by a preset or a JSON file stays in the path.
  assert.deepEqual(parseModelSpec("c:/models/x.onnx"), { path: "c:/models/x.onnx" });
});

test("wrong output size rejected early", async () => {
  const root = await temporaryFolder("d3s-evaluate-outputs-");
  const dataset = await writeD3sSplit(join(root, "data"), [{ colour: RED, label: 10, background: "in snow" }]);
  // One model declares 10 outputs in its metadata; the other's output size is symbolic, so
  // evaluate learns it from one all-zero image: 10 scores.
  for (const symbolic of [false, true]) {
    const model = join(root, `ten-${symbolic}.onnx`);
    await writeSmallClassifier(model, 10, symbolic);
    const events: unknown[] = [];
    await assert.rejects(
      evaluate({ dataset, models: [model], out: join(root, "out"), workers: 1, report: false }, (event) => {
        events.push(event);
      }),
      (error: Error) => {
        assert.equal(error.name, "UserError");
        assert.ok(error.message.includes(model), error.message);
        assert.match(error.message, /has output size 10, but without --class-map/);
        assert.match(error.message, /Pass --class-map .* or pass an ImageNet-1k classifier\./);
        return true;
      },
    );
    // No progress event: the check ran before the first image was decoded.
    assert.deepEqual(events, []);
  }
});

test("class map fits small model", async () => {
  const root = await temporaryFolder("d3s-evaluate-small-");
  const model = join(root, "ten.onnx");
  await writeSmallClassifier(model, 10, true);
  // Target label "low" holds outputs 0..4. Output k scores (k + 1) x s, where s is the sum of
  // the normalised channel means; for red s = 2.25 - 2.04 - 1.80 = -1.59 (torchvision mean and
  // std), so output 0 scores highest and the red image is predicted "low".
  const classMap = join(root, "map.json");
  await writeFile(classMap, JSON.stringify({ labels: ["low", "high"], members: [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]] }));
  const dataset = await writeD3sSplit(join(root, "data"), [{ colour: RED, label: 0, background: "in snow" }]);
  const { results } = await evaluate({
    dataset,
    models: [model],
    out: join(root, "out"),
    classMap,
    labelSpace: "target",
    workers: 1,
    resamples: 20,
    report: false,
  });
  assert.equal(row(results[0].rows, "restricted", "dataset", "overall").top1, 1);
});
