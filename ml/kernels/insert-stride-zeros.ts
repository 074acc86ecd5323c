import type { TensorInfo } from '@tensorflow/tfjs';
import type { WasmKernelScope } from './wasm-kernel-scope';

/**
 * Spreads an NHWC gradient onto the forward input's stride grid: row p moves to row p·strideHeight and
 * column q to q·strideWidth, the gaps filled with zeros (the trailing stride−1 rows and columns are
 * zero too, so the result is [N, H·sh, W·sw, C]). A stride-s transposed convolution is then a stride-1
 * convolution of this tensor.
 */
export function insertStrideZeros(
  scope: WasmKernelScope,
  dy: TensorInfo,
  strideHeight: number,
  strideWidth: number,
): TensorInfo {
  if (strideHeight === 1 && strideWidth === 1) return dy;
  const [batch = 0, height = 0, width = 0, channels = 0] = dy.shape;
  // Pad a unit axis after each spatial axis up to the stride, then fold it back in: a single PadV2.
  const padded = scope.run(
    'PadV2',
    { x: scope.reshape(dy, [batch * height, 1, width, 1, channels]) },
    {
      paddings: [
        [0, 0],
        [0, strideHeight - 1],
        [0, 0],
        [0, strideWidth - 1],
        [0, 0],
      ],
      constantValue: 0,
    },
  );
  return scope.reshape(padded, [batch, height * strideHeight, width * strideWidth, channels]);
}
