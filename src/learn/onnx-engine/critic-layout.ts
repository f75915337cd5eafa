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
