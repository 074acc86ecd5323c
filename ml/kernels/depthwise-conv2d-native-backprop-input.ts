import {
  backend_util,
  DepthwiseConv2dNativeBackpropInput,
  type DepthwiseConv2dNativeBackpropInputAttrs,
  type DepthwiseConv2dNativeBackpropInputInputs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { insertStrideZeros } from './insert-stride-zeros';
import { requireInput, requireRank4 } from './kernel-inputs';
import { transposedAxisLayout } from './transposed-convolution-padding';
import { withWasmKernelScope } from './wasm-kernel-scope';

/**
 * dx is the transposed depthwise convolution of dy: spread dy onto the stride grid, then run a stride-1
 * depthwise convolution with the filter rotated by 180° (same dilation). With a channel multiplier m
 * each input channel then sums its m output channels.
 */
function depthwiseConv2dNativeBackpropInput(args: {
  inputs: DepthwiseConv2dNativeBackpropInputInputs;
  backend: BackendWasm;
  attrs: DepthwiseConv2dNativeBackpropInputAttrs;
}): TensorInfo {
  const { backend, attrs } = args;
  const kernel = DepthwiseConv2dNativeBackpropInput;
  const dy = requireInput(args.inputs, 'dy', kernel);
  const filter = requireInput(args.inputs, 'filter', kernel);
  const filterShape = requireRank4(filter, 'filter', kernel);
  const { strides, dilations, pad, dimRoundingMode, inputShape } = attrs;
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filterShape,
    strides,
    dilations,
    pad,
    dimRoundingMode,
    true,
  );
  const [filterHeight, filterWidth, inChannels, multiplier] = filterShape;
  const { batchSize, inHeight, inWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padInfo } =
    info;

  return withWasmKernelScope(backend, (scope) => {
    const spread = insertStrideZeros(scope, dy, strideHeight, strideWidth);
    const [, spreadHeight = 0, spreadWidth = 0] = spread.shape;
    const rows = transposedAxisLayout(inHeight, filterHeight, dilationHeight, padInfo.top, spreadHeight);
    const cols = transposedAxisLayout(inWidth, filterWidth, dilationWidth, padInfo.left, spreadWidth);
    const rotated = scope.run('Reverse', { x: filter }, { dims: [0, 1] });
    const gradient = scope.run(
      'DepthwiseConv2dNative',
      { x: spread, filter: scope.reshape(rotated, [filterHeight, filterWidth, inChannels * multiplier, 1]) },
      {
        strides: [1, 1],
        dilations: [dilationHeight, dilationWidth],
        pad: [[0, 0], rows.pad, cols.pad, [0, 0]],
      },
    );
    const cropped = scope.cropTo(
      gradient,
      [0, rows.cropStart, cols.cropStart, 0],
      [batchSize, inHeight, inWidth, inChannels * multiplier],
    );
    if (multiplier === 1) return cropped;
    return scope.run(
      'Sum',
      { x: scope.reshape(cropped, [batchSize, inHeight, inWidth, inChannels, multiplier]) },
      { axis: [4], keepDims: false },
    );
  });
}

export const depthwiseConv2dNativeBackpropInputConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropInput as unknown as KernelFunc,
};
