import {
  backend_util,
  DepthwiseConv2dNativeBackpropFilter,
  type DepthwiseConv2dNativeBackpropFilterAttrs,
  type DepthwiseConv2dNativeBackpropFilterInputs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { requireInput, requireRank4 } from './kernel-inputs';
import { withWasmKernelScope } from './wasm-kernel-scope';

/**
 * dW[i,j,c,k] = Σ_{n,p,q} x[n, p·sh + i·dh − top, q·sw + j·dw − left, c] · dy[n,p,q,c·m+k].
 * Folding the batch into the channels (one image, C·N channels) turns every (c,n) pair into its own
 * depthwise channel with dy[n,:,:,c] as an Ho×Wo filter; forward strides become dilations and forward
 * dilations become strides. Summing the N partial filters gives dW.
 */
function depthwiseConv2dNativeBackpropFilter(args: {
  inputs: DepthwiseConv2dNativeBackpropFilterInputs;
  backend: BackendWasm;
  attrs: DepthwiseConv2dNativeBackpropFilterAttrs;
}): TensorInfo {
  const { backend, attrs } = args;
  const kernel = DepthwiseConv2dNativeBackpropFilter;
  const x = requireInput(args.inputs, 'x', kernel);
  const dy = requireInput(args.inputs, 'dy', kernel);
  const { strides, dilations, pad, dimRoundingMode, filterShape } = attrs;
  const info = backend_util.computeConv2DInfo(
    requireRank4(x, 'x', kernel),
    filterShape,
    strides,
    dilations,
    pad,
    dimRoundingMode,
    true,
  );
  const [filterHeight, filterWidth, inChannels, multiplier] = filterShape;
  const { batchSize, inHeight, inWidth, outHeight, outWidth, padInfo } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth } = info;

  return withWasmKernelScope(backend, (scope) => {
    const images = scope.reshape(scope.transpose(x, [1, 2, 3, 0]), [
      1,
      inHeight,
      inWidth,
      inChannels * batchSize,
    ]);
    const dyFilters =
      multiplier === 1
        ? scope.transpose(dy, [1, 2, 3, 0])
        : scope.transpose(
            scope.reshape(dy, [batchSize, outHeight, outWidth, inChannels, multiplier]),
            [1, 2, 3, 0, 4],
          );
    // Bottom/right padding for an output exactly filterHeight × filterWidth; negative means crop.
    const padBottom =
      (filterHeight - 1) * dilationHeight + (outHeight - 1) * strideHeight + 1 - inHeight - padInfo.top;
    const padRight =
      (filterWidth - 1) * dilationWidth + (outWidth - 1) * strideWidth + 1 - inWidth - padInfo.left;
    const partials = scope.run(
      'DepthwiseConv2dNative',
      {
        x: images,
        filter: scope.reshape(dyFilters, [outHeight, outWidth, inChannels * batchSize, multiplier]),
      },
      {
        strides: [dilationHeight, dilationWidth],
        dilations: [strideHeight, strideWidth],
        pad: [
          [0, 0],
          [padInfo.top, Math.max(padBottom, 0)],
          [padInfo.left, Math.max(padRight, 0)],
          [0, 0],
        ],
      },
    );
    const cropped = scope.cropTo(
      partials,
      [0, 0, 0, 0],
      [1, filterHeight, filterWidth, inChannels * batchSize * multiplier],
    );
    const summed = scope.run(
      'Sum',
      { x: scope.reshape(cropped, [filterHeight, filterWidth, inChannels, batchSize, multiplier]) },
      { axis: [3], keepDims: false },
    );
    return scope.reshape(summed, filterShape);
  });
}

export const depthwiseConv2dNativeBackpropFilterConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropFilter as unknown as KernelFunc,
};
