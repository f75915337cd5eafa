/** Shapes and constants of one critic inside a graph, shared by every critic graph. */
export interface CriticGraphShape {
  /** Examples per batch (n); a graph is built for this batch size only. */
  batch: number;
  /** Size of the feature part of a pair. */
  featureDim: number;
  /** Label embedding `[numClasses, embeddingDim]`, row-major. */
  embedding: Float32Array;
  embeddingDim: number;
  /** Layer widths of the critic, the last one 1. */
  widths: number[];
  /** Negative slope of the LeakyReLU. */
  slope: number;
}

/**
 * Shapes of an MlpCritic's parameters in the order of critic.parameters.list(): for each layer
 * its weight `[in, out]`, then its bias `[out]`. The ONNX graphs name parameter i `p${i}` and
 * its Adam moments `m${i}` and `v${i}`.
 */
export function criticShapes(inputDim: number, widths: number[]): number[][] {
  const shapes: number[][] = [];
  let previous = inputDim;
  for (const width of widths) {
    shapes.push([previous, width], [width]);
    previous = width;
  }
  return shapes;
}

/** Graph names of parameter i and its two Adam moments. */
export function slotNames(i: number): { parameter: string; first: string; second: string } {
  return { parameter: `p${i}`, first: `m${i}`, second: `v${i}` };
}
