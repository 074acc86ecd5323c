import {
  backend_util,
  Conv2DBackpropInput,
  type Conv2DBackpropInputAttrs,
  type Conv2DBackpropInputInputs,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { insertStrideZeros } from './insert-stride-zeros';
import { requireInput, requireRank4 } from './kernel-inputs';
import { transposedAxisLayout } from './transposed-convolution-padding';
import type { WasmKernelReplacement } from './wasm-kernel-replacement';
import { withWasmKernelScope } from './wasm-kernel-scope';

/**
 * tfjs-backend-wasm 4.22 has Conv2DBackpropInput as a scalar C++ loop, ~10× slower than its XNNPACK
 * Conv2D. dx is the transposed convolution of dy: spread dy onto the stride grid and correlate it
 * (stride 1) with the filter rotated by 180° and its channel axes swapped, on XNNPACK. NCHW, which the
 * WASM Conv2D cannot run, stays with the backend's own kernel.
 */
function conv2dBackpropInput(
  native: KernelFunc,
  args: { inputs: Conv2DBackpropInputInputs; backend: BackendWasm; attrs: Conv2DBackpropInputAttrs },
): TensorInfo | TensorInfo[] {
  const { backend, attrs } = args;
  if (attrs.dataFormat === 'NCHW') return native(args as unknown as Parameters<KernelFunc>[0]);
  const dy = requireInput(args.inputs, 'dy', Conv2DBackpropInput);
  const filter = requireInput(args.inputs, 'filter', Conv2DBackpropInput);
  const filterShape = requireRank4(filter, 'filter', Conv2DBackpropInput);
  const { strides, pad, dimRoundingMode, inputShape } = attrs;
  const info = backend_util.computeConv2DInfo(inputShape, filterShape, strides, 1, pad, dimRoundingMode);
  const [filterHeight, filterWidth] = filterShape;
  const { batchSize, inHeight, inWidth, inChannels, strideHeight, strideWidth, padInfo } = info;

  return withWasmKernelScope(backend, (scope) => {
    const spread = insertStrideZeros(scope, dy, strideHeight, strideWidth);
    const [, spreadHeight = 0, spreadWidth = 0] = spread.shape;
    const rows = transposedAxisLayout(inHeight, filterHeight, 1, padInfo.top, spreadHeight);
    const cols = transposedAxisLayout(inWidth, filterWidth, 1, padInfo.left, spreadWidth);
    const rotated = scope.transpose(scope.run('Reverse', { x: filter }, { dims: [0, 1] }), [0, 1, 3, 2]);
    const gradient = scope.run(
      'Conv2D',
      { x: spread, filter: rotated },
      { strides: [1, 1], dilations: [1, 1], pad: [[0, 0], rows.pad, cols.pad, [0, 0]], dataFormat: 'NHWC' },
    );
    return scope.cropTo(
      gradient,
      [0, rows.cropStart, cols.cropStart, 0],
      [batchSize, inHeight, inWidth, inChannels],
    );
  });
}

export const conv2dBackpropInputReplacement: WasmKernelReplacement = {
  kernelName: Conv2DBackpropInput,
  replace: (native) => (args) =>
    conv2dBackpropInput(native, args as unknown as Parameters<typeof conv2dBackpropInput>[1]),
};
