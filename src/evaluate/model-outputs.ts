import { UserError } from "../core/errors.js";
import type { ClassMap } from "./class-map.js";
import type { Classifier } from "./onnx-classifier.js";

/** Number of ImageNet-1k classes, the output count that dataset labels assume without a class map. */
export const IMAGENET_OUTPUTS = 1000;

/**
 * Rejects a model whose output count does not fit the labels it will be scored against. Without a
 * class map the dataset labels are ImageNet-1k indices, so the model needs 1000 outputs. With a
 * class map every output index that the map lists must exist in the model.
 */
export function checkModelOutputs(model: Classifier, classMap: ClassMap | undefined): void {
  const outputs = model.outputs;
  if (classMap === undefined && outputs !== IMAGENET_OUTPUTS) {
    throw new UserError(
      `Model ${model.source} has output size ${outputs}, but without --class-map the dataset ` +
        `labels are ImageNet-1k indices, which need output size ${IMAGENET_OUTPUTS}. Pass ` +
        `--class-map with a map from this model's outputs to the dataset labels, or pass an ` +
        `ImageNet-1k classifier.`,
    );
  }
  if (classMap !== undefined && classMap.maxOutput >= outputs) {
    throw new UserError(
      `Model ${model.source} has output size ${outputs} (output indices 0 to ${outputs - 1}), ` +
        `but --class-map "${classMap.name}" lists output index ${classMap.maxOutput}. Pass a ` +
        `--class-map for this model's outputs, or a model with output size at least ` +
        `${classMap.maxOutput + 1}.`,
    );
  }
}
