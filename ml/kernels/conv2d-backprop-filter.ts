import {
  backend_util,
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  type Conv2DBackpropFilterInputs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { requireInput, requireRank4 } from './kernel-inputs';
import { withWasmKernelScope } from './wasm-kernel-scope';

/**
 * dW[i,j,ci,co] = Σ_{n,p,q} x[n, p·sh + i − top, q·sw + j − left, ci] · dy[n,p,q,co].
 * Read with ci as the batch, n as the input channel and dy as an [Ho,Wo,N,Co] filter, that sum is a
 * stride-1 convolution whose dilation is the forward stride, so XNNPACK's Conv2D does the work.
 * A 1×1 unpadded stride-1 filter is a plain matrix product xᵀ·dy.
 */
function conv2dBackpropFilter(args: {
  inputs: Conv2DBackpropFilterInputs;
  backend: BackendWasm;
  attrs: Conv2DBackpropFilterAttrs;
}): TensorInfo {
  const { backend, attrs } = args;
  const x = requireInput(args.inputs, 'x', Conv2DBackpropFilter);
  const dy = requireInput(args.inputs, 'dy', Conv2DBackpropFilter);
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  if (dataFormat === 'NCHW') {
    throw new Error(
      `${Conv2DBackpropFilter} on the WASM backend supports dataFormat 'NHWC' only; got 'NCHW'`,
    );
  }
  const info = backend_util.computeConv2DInfo(
    requireRank4(x, 'x', Conv2DBackpropFilter),
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const [filterHeight, filterWidth, inChannels, outChannels] = filterShape;
  const { batchSize, inHeight, inWidth, outHeight, outWidth, strideHeight, strideWidth, padInfo } = info;

  return withWasmKernelScope(backend, (scope) => {
    const isPointwise =
      filterHeight === 1 &&
      filterWidth === 1 &&
      strideHeight === 1 &&
      strideWidth === 1 &&
      padInfo.top === 0 &&
      padInfo.left === 0;
    if (isPointwise) {
      const pixels = batchSize * inHeight * inWidth;
      const product = scope.run(
        'BatchMatMul',
        { a: scope.reshape(x, [1, pixels, inChannels]), b: scope.reshape(dy, [1, pixels, outChannels]) },
        { transposeA: true, transposeB: false },
      );
      return scope.reshape(product, filterShape);
    }
    // Bottom/right padding that makes the output exactly filterHeight × filterWidth; a negative value
    // means the forward pass never read the last input rows, so the surplus output rows are cropped.
    const padBottom = filterHeight + (outHeight - 1) * strideHeight - inHeight - padInfo.top;
    const padRight = filterWidth + (outWidth - 1) * strideWidth - inWidth - padInfo.left;
    const gradient = scope.run(
      'Conv2D',
      { x: scope.transpose(x, [3, 1, 2, 0]), filter: scope.transpose(dy, [1, 2, 0, 3]) },
      {
        strides: [1, 1],
        dilations: [strideHeight, strideWidth],
        pad: [
          [0, 0],
          [padInfo.top, Math.max(padBottom, 0)],
          [padInfo.left, Math.max(padRight, 0)],
          [0, 0],
        ],
        dataFormat: 'NHWC',
      },
    );
    const cropped = scope.cropTo(
      gradient,
      [0, 0, 0, 0],
      [inChannels, filterHeight, filterWidth, outChannels],
    );
    return scope.transpose(cropped, [1, 2, 0, 3]);
  });
}

export const conv2dBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilter as unknown as KernelFunc,
};
