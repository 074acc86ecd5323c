import { util, type TensorInfo } from '@tensorflow/tfjs';
import type { WasmKernelScope } from './wasm-kernel-scope';

/** Whether `axes` are exactly N, H and W of a rank-4 (NHWC) tensor: batch-norm statistics and bias gradients. */
export function reducesBatchAndSpace(axes: number[], rank: number): boolean {
  return rank === 4 && axes.length === 3 && [0, 1, 2].every((axis) => axes.includes(axis));
}

/** Number of elements each output of a reduction over `axes` sums. */
export function reducedSize(shape: number[], axes: number[]): number {
  return util.sizeFromShape(axes.map((axis) => shape[axis] ?? 1));
}

/**
 * Per-channel Σ over N, H and W of a float32 NHWC tensor, times `scale`. The WASM Sum/Mean kernels
 * first transpose the reduced axes to the end, a slow strided copy of the whole tensor; XNNPACK's
 * average pooling reduces H×W in place instead (global pooling), leaving an [N, C] sum that is cheap
 * to transpose. Returns shape [C].
 */
export function scaledChannelSum(scope: WasmKernelScope, x: TensorInfo, scale: number): TensorInfo {
  const [batch = 0, height = 0, width = 0, channels = 0] = x.shape;
  const pixels = height * width;
  const perImage =
    pixels === 1
      ? x
      : scope.run('AvgPool', { x }, { filterSize: [height, width], strides: [height, width], pad: 'valid' });
  const batchSum = scope.run(
    'Sum',
    { x: scope.reshape(perImage, [batch, channels]) },
    { axis: [0], keepDims: false },
  );
  // Average pooling divided by H·W; fold that back into the caller's scale.
  const factor = scale * pixels;
  if (factor === 1) return batchSum;
  return scope.run('Multiply', {
    a: batchSum,
    b: scope.run('Fill', {}, { shape: [], value: factor, dtype: 'float32' }),
  });
}
