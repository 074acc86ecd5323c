import {
  DepthwiseConv2dNativeBackpropFilter,
  type DepthwiseConv2dNativeBackpropFilterAttrs,
  type DepthwiseConv2dNativeBackpropFilterInputs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { scaledChannelSum } from './channel-sum';
import { requireInput, requireRank4 } from './kernel-inputs';
import { windowTapFilter } from './window-tap-filter';
import { withWasmKernelScope } from './wasm-kernel-scope';

/**
 * dW[i,j,c,k] = Σ_{n,p,q} x[n, p·sh + i·dh − top, q·sw + j·dw − left, c] · dy[n,p,q,c·m+k]: for each
 * filter tap, read that tap of every window with the forward geometry (a one-hot depthwise
 * convolution, padding reading as zero), multiply by dy and sum per channel. Needs no transposes and
 * stays on XNNPACK micro-kernels; a depthwise convolution with dy as an Ho×Wo filter does not.
 */
function depthwiseConv2dNativeBackpropFilter(args: {
  inputs: DepthwiseConv2dNativeBackpropFilterInputs;
  backend: BackendWasm;
  attrs: DepthwiseConv2dNativeBackpropFilterAttrs;
}): TensorInfo {
  const kernel = DepthwiseConv2dNativeBackpropFilter;
  const x = requireInput(args.inputs, 'x', kernel);
  const dy = requireInput(args.inputs, 'dy', kernel);
  requireRank4(x, 'x', kernel);
  const { strides, dilations, pad, dimRoundingMode, filterShape } = args.attrs;
  const [filterHeight, filterWidth, inChannels, multiplier] = filterShape;

  return withWasmKernelScope(args.backend, (scope) => {
    const tapGradients: TensorInfo[] = [];
    for (let i = 0; i < filterHeight; i++) {
      for (let j = 0; j < filterWidth; j++) {
        const taps = scope.run(
          'DepthwiseConv2dNative',
          { x, filter: windowTapFilter(scope, filterShape, [i, j]) },
          { strides, dilations, pad, ...(dimRoundingMode === undefined ? {} : { dimRoundingMode }) },
        );
        const products = scope.run('Multiply', { a: taps, b: dy });
        scope.free(taps);
        tapGradients.push(scope.reshape(scaledChannelSum(scope, products, 1), [1, inChannels * multiplier]));
        scope.free(products);
      }
    }
    const stacked =
      tapGradients.length === 1 ? tapGradients[0]! : scope.runOnList('Concat', tapGradients, { axis: 0 });
    return scope.reshape(stacked, filterShape);
  });
}

export const depthwiseConv2dNativeBackpropFilterConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropFilter as unknown as KernelFunc,
};
