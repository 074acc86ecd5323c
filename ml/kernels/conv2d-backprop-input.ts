import {
  backend_util,
  Conv2DBackpropInput,
  type Conv2DBackpropInputAttrs,
  type Conv2DBackpropInputInputs,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { interleavePhases } from './interleave-phases';
import { requireInput, requireRank4 } from './kernel-inputs';
import { transposedAxisLayout } from './transposed-convolution-padding';
import type { WasmKernelReplacement } from './wasm-kernel-replacement';
import { withWasmKernelScope, type WasmKernelScope } from './wasm-kernel-scope';

/**
 * tfjs-backend-wasm 4.22 has Conv2DBackpropInput as a scalar C++ loop, ~10× slower than its XNNPACK
 * Conv2D. dx is the transposed convolution of dy: a stride-1 correlation of dy with the filter rotated
 * by 180° and its channel axes swapped, run per stride phase when strided, on XNNPACK. NCHW, which the
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
  const [filterHeight, filterWidth, , outChannels] = filterShape;
  const {
    batchSize,
    inHeight,
    inWidth,
    inChannels,
    outHeight,
    outWidth,
    strideHeight,
    strideWidth,
    padInfo,
  } = info;

  return withWasmKernelScope(backend, (scope) => {
    const isPointwise =
      filterHeight === 1 &&
      filterWidth === 1 &&
      strideHeight === 1 &&
      strideWidth === 1 &&
      padInfo.top === 0 &&
      padInfo.left === 0;
    if (isPointwise) {
      // dx = dy · Wᵀ as one matrix product: cheaper than a convolution whenever the weights outweigh
      // the activations (late layers on small inputs), never dearer.
      const pixels = batchSize * inHeight * inWidth;
      const product = scope.run(
        'BatchMatMul',
        {
          a: scope.reshape(dy, [1, pixels, outChannels]),
          b: scope.reshape(filter, [1, inChannels, outChannels]),
        },
        { transposeA: false, transposeB: true },
      );
      return scope.reshape(product, [batchSize, inHeight, inWidth, inChannels]);
    }
    if (strideHeight === 1 && strideWidth === 1) {
      const rows = transposedAxisLayout(inHeight, filterHeight, 1, padInfo.top, outHeight);
      const cols = transposedAxisLayout(inWidth, filterWidth, 1, padInfo.left, outWidth);
      const gradient = scope.run(
        'Conv2D',
        { x: dy, filter: rotatedForTransposedConv(scope, filter) },
        { strides: [1, 1], dilations: [1, 1], pad: [[0, 0], rows.pad, cols.pad, [0, 0]], dataFormat: 'NHWC' },
      );
      return scope.cropTo(
        gradient,
        [0, rows.cropStart, cols.cropStart, 0],
        [batchSize, inHeight, inWidth, inChannels],
      );
    }
    // Strided: padded-input row u·s + a only receives filter taps a, a+s, a+2s, … so each stride phase
    // (a, b) is a stride-1 transposed convolution of dy with that sub-filter. This does the forward
    // pass's multiply-adds once, where spreading dy onto the stride grid would do s² times as many.
    const phaseHeight = Math.ceil((padInfo.top + inHeight) / strideHeight);
    const phaseWidth = Math.ceil((padInfo.left + inWidth) / strideWidth);
    const phase = (a: number, b: number): TensorInfo => {
      const tapRows = Math.ceil((filterHeight - a) / strideHeight);
      const tapCols = Math.ceil((filterWidth - b) / strideWidth);
      if (tapRows <= 0 || tapCols <= 0) {
        return scope.run(
          'Fill',
          {},
          { shape: [batchSize, phaseHeight, phaseWidth, inChannels], value: 0, dtype: 'float32' },
        );
      }
      const subFilter = scope.run(
        'StridedSlice',
        { x: filter },
        {
          begin: [a, b, 0, 0],
          end: filterShape,
          strides: [strideHeight, strideWidth, 1, 1],
          beginMask: 0,
          endMask: 0,
          ellipsisMask: 0,
          newAxisMask: 0,
          shrinkAxisMask: 0,
        },
      );
      const gradient = scope.run(
        'Conv2D',
        { x: dy, filter: rotatedForTransposedConv(scope, subFilter) },
        {
          strides: [1, 1],
          dilations: [1, 1],
          pad: [
            [0, 0],
            [tapRows - 1, Math.max(phaseHeight - outHeight, 0)],
            [tapCols - 1, Math.max(phaseWidth - outWidth, 0)],
            [0, 0],
          ],
          dataFormat: 'NHWC',
        },
      );
      return scope.cropTo(gradient, [0, 0, 0, 0], [batchSize, phaseHeight, phaseWidth, inChannels]);
    };
    const phases = Array.from({ length: strideHeight }, (_, a) =>
      Array.from({ length: strideWidth }, (_, b) => phase(a, b)),
    );
    return scope.cropTo(
      interleavePhases(scope, phases),
      [0, padInfo.top, padInfo.left, 0],
      [batchSize, inHeight, inWidth, inChannels],
    );
  });
}

/** The filter of the transposed convolution: rotated by 180° with input and output channels swapped. */
function rotatedForTransposedConv(scope: WasmKernelScope, filter: TensorInfo): TensorInfo {
  return scope.transpose(scope.run('Reverse', { x: filter }, { dims: [0, 1] }), [0, 1, 3, 2]);
}

export const conv2dBackpropInputReplacement: WasmKernelReplacement = {
  kernelName: Conv2DBackpropInput,
  replace: (native) => (args) =>
    conv2dBackpropInput(native, args as unknown as Parameters<typeof conv2dBackpropInput>[1]),
};
