import type { Command } from "commander";
import { join } from "node:path";
import { writeJsonAtomic } from "../core/atomic.js";
import {
  numberFlag,
  numberListFlag,
  optionalNumberFlag,
  withFlagNames,
} from "../cli/flag-errors.js";
import { UserError } from "../core/errors.js";
import { terminalProgress } from "../core/progress.js";
import { DEFAULT_FEATURE_DIM, learnOptionsSchema, parseLearnOptions, type LearnOptionsInput } from "./options.js";
import { loadFeatureData, loadImageData, readSplit } from "./split-data.js";
import { trainInvariant } from "./train.js";

/** Default side of the square images the cnn backbone trains on. */
const DEFAULT_IMAGE_SIZE = 32;

interface LearnFlags {
  data: string;
  split: string;
  out: string;
  backbone: string;
  onnxModel?: string;
  featureOutput?: string;
  imageSize: string;
  featureDim?: string;
  bgDim?: string;
  penalty: string;
  alpha: string;
  penaltyWeight: string;
  gradientPenaltyWeight: string;
  criticSteps: string;
  criticPool?: string;
  pretrainSteps: string;
  steps: string;
  batchSize: string;
  learningRate: string;
  criticLearningRate: string;
  cnnChannels: string;
  cnnPool: string;
  engine: string;
  seed: string;
}

/** Registers `d3s learn` on the d3s program. */
export function registerLearnCommands(program: Command): void {
  const defaults = learnOptionsSchema.parse({});
  program
    .command("learn")
    .description(
      "Train foreground/background features with a mutual-information penalty on a dataset split; " +
        "writes OUT/model.json, OUT/weights.bin, OUT/history.json and resumes from OUT/checkpoint",
    )
    .requiredOption("--data <dir>", "dataset folder with <split>/metadata.json")
    .option("--split <name>", "split to train on", "train")
    .requiredOption("--out <dir>", "output folder of the trained model")
    .option("--backbone <name>", "cnn (trained from scratch) or projection (on ONNX features)", defaults.backbone)
    .option("--onnx-model <path>", "ONNX classifier used as a frozen feature extractor (projection backbone)")
    .option("--feature-output <name>", "tensor of the ONNX model to read features from (default: input of its last Gemm/MatMul)")
    .option("--image-size <px>", "square image side for the cnn backbone", String(DEFAULT_IMAGE_SIZE))
    .option(
      "--cnn-channels <list>",
      "comma-separated channel widths of the cnn's 3x3 convolutions, one layer each",
      defaults.cnnChannels.join(","),
    )
    .option("--cnn-pool <kind>", "global pool of the cnn's last feature map: max or average", defaults.cnnPool)
    .option("--feature-dim <n>", `feature layer size (default ${DEFAULT_FEATURE_DIM.cnn} cnn, ${DEFAULT_FEATURE_DIM.projection} projection)`)
    .option("--bg-dim <n>", "background part of the feature layer (default featureDim * 250 / 2048)")
    .option("--penalty <kind>", "wasserstein, mine, linear or none", defaults.penalty)
    .option("--alpha <x>", "weight of the two cross-entropy terms", String(defaults.alpha))
    .option("--penalty-weight <x>", "weight of the two mutual-information terms", String(defaults.penaltyWeight))
    .option("--gradient-penalty-weight <x>", "Wasserstein critic gradient penalty weight", String(defaults.gradientPenaltyWeight))
    .option("--critic-steps <n>", "critic updates per model update", String(defaults.criticSteps))
    .option("--critic-pool <n>", "batches whose features feed one model step's critic updates (default critic steps)")
    .option("--pretrain-steps <n>", "plain cross-entropy steps before the penalty starts", String(defaults.pretrainSteps))
    .option("--steps <n>", "model updates in total", String(defaults.steps))
    .option("--batch-size <n>", "examples per update", String(defaults.batchSize))
    .option("--learning-rate <x>", "Adam learning rate of the network", String(defaults.learningRate))
    .option("--critic-learning-rate <x>", "Adam learning rate of the critics", String(defaults.criticLearningRate))
    .option("--seed <n>", "seed of weights, batches and shuffles", String(defaults.seed))
    .option("--engine <name>", "training engine: tfjs, or onnx (ONNX Runtime on every core; only with --penalty wasserstein or none)", defaults.engine)
    .action(withFlagNames(runLearn, { checkpointDir: "--out" }));
}

async function runLearn(flags: LearnFlags): Promise<void> {
  // 1. Validate every flag before reading data.
  const input = toLearnOptions(flags);
  const options = parseLearnOptions(input);
  const imageSize = numberFlag("imageSize", flags.imageSize);
  if (options.backbone === "projection" && flags.onnxModel === undefined) {
    throw new UserError("--backbone projection needs --onnx-model PATH, the frozen feature extractor.");
  }

  // 2. Load the split as images (cnn) or as cached ONNX features (projection).
  const progress = terminalProgress("items");
  const split = await readSplit(flags.data, flags.split);
  const data =
    options.backbone === "cnn"
      ? await loadImageData(split, imageSize, progress)
      : await loadFeatureData(
          split,
          { modelPath: flags.onnxModel as string, outputName: flags.featureOutput, cacheDir: join(flags.out, "feature-cache") },
          progress,
        );
  progress.stop();

  // 3. Train with checkpoints in OUT/checkpoint, then save the model and its loss curves.
  const steps = terminalProgress("steps");
  const model = await trainInvariant(data, { ...input, checkpointDir: join(flags.out, "checkpoint") }, steps);
  steps.stop();
  await model.save(flags.out);
  await writeJsonAtomic(join(flags.out, "history.json"), { options: model.options, history: model.history });
  const last = model.history.at(-1);
  process.stdout.write(
    `Saved ${flags.out}/model.json (${data.fgLabels.length} examples, ${options.steps} steps; ` +
      `final fg loss ${last?.fgLoss.toFixed(3)}, bg loss ${last?.bgLoss.toFixed(3)}).\n`,
  );
}

function toLearnOptions(flags: LearnFlags): LearnOptionsInput {
  return {
    backbone: flags.backbone as LearnOptionsInput["backbone"],
    cnnChannels: numberListFlag("cnnChannels", flags.cnnChannels),
    cnnPool: flags.cnnPool as LearnOptionsInput["cnnPool"],
    featureDim: optionalNumberFlag("featureDim", flags.featureDim),
    bgDim: optionalNumberFlag("bgDim", flags.bgDim),
    penalty: flags.penalty as LearnOptionsInput["penalty"],
    alpha: numberFlag("alpha", flags.alpha),
    penaltyWeight: numberFlag("penaltyWeight", flags.penaltyWeight),
    gradientPenaltyWeight: numberFlag("gradientPenaltyWeight", flags.gradientPenaltyWeight),
    criticSteps: numberFlag("criticSteps", flags.criticSteps),
    criticPool: optionalNumberFlag("criticPool", flags.criticPool),
    pretrainSteps: numberFlag("pretrainSteps", flags.pretrainSteps),
    steps: numberFlag("steps", flags.steps),
    batchSize: numberFlag("batchSize", flags.batchSize),
    learningRate: numberFlag("learningRate", flags.learningRate),
    criticLearningRate: numberFlag("criticLearningRate", flags.criticLearningRate),
    seed: numberFlag("seed", flags.seed),
    engine: flags.engine as LearnOptionsInput["engine"],
  };
}
