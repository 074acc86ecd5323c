/** How to lay one spatial axis of a transposed convolution out as a stride-1 forward convolution. */
export interface TransposedAxisLayout {
  /** Explicit padding before and after the spread gradient, both ≥ 0. */
  pad: [number, number];
  /** First row (column) of the convolution output that belongs to the input gradient. */
  cropStart: number;
}

/**
 * One spatial axis of dx = transposed convolution of dy, computed as a stride-1 correlation of the
 * stride-spread dy (length `spreadSize`) with the 180°-rotated filter. Input row i collects filter tap
 * k from spread row i + padBefore − k·dilation, so the correlation needs (filterSize−1)·dilation −
 * padBefore rows in front and enough behind for `inSize` outputs. Negative pads become crops.
 */
export function transposedAxisLayout(
  inSize: number,
  filterSize: number,
  dilation: number,
  forwardPadBefore: number,
  spreadSize: number,
): TransposedAxisLayout {
  const before = (filterSize - 1) * dilation - forwardPadBefore;
  const after = inSize + (filterSize - 1) * dilation - spreadSize - before;
  return { pad: [Math.max(before, 0), Math.max(after, 0)], cropStart: Math.max(-before, 0) };
}
