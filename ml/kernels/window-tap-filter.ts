import type { TensorInfo } from '@tensorflow/tfjs';
import type { WasmKernelScope } from './wasm-kernel-scope';

/**
 * A depthwise filter [kh, kw, C, M] that is 1 at window tap (i, j) for every channel and multiplier and
 * 0 elsewhere: a depthwise convolution with it reads tap (i, j) of every window, with the forward
 * convolution's strides, dilations and padding, on XNNPACK. Exact for finite inputs (x·1 plus zeros).
 */
export function windowTapFilter(
  scope: WasmKernelScope,
  [filterHeight, filterWidth, channels, multiplier]: [number, number, number, number],
  [i, j]: [number, number],
): TensorInfo {
  const tapSize = channels * multiplier;
  const values = new Float32Array(filterHeight * filterWidth * tapSize);
  const tap = i * filterWidth + j;
  values.fill(1, tap * tapSize, (tap + 1) * tapSize);
  return scope.constant([filterHeight, filterWidth, channels, multiplier], values);
}
