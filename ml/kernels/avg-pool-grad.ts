import {
  AvgPoolGrad,
  backend_util,
  type AvgPoolGradAttrs,
  type AvgPoolGradInputs,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { requireInput, requireRank4 } from './kernel-inputs';
import { scatterPoolWindowTaps } from './pool-window-scatter';
import type { WasmKernelReplacement } from './wasm-kernel-replacement';
import { withWasmKernelScope } from './wasm-kernel-scope';

/**
 * Unpadded average pooling (DenseNet's transitions) spreads dy / (kh·kw) over every window tap; the
 * WASM backend does that in a scalar loop, `scatterPoolWindowTaps` with whole-tensor kernels. Padded
 * pooling divides by a per-window count and stays with the backend's own kernel.
 */
function avgPoolGrad(
  native: KernelFunc,
  args: { inputs: AvgPoolGradInputs; backend: BackendWasm; attrs: AvgPoolGradAttrs },
): TensorInfo | TensorInfo[] {
  const dy = requireInput(args.inputs, 'dy', AvgPoolGrad);
  const x = requireInput(args.inputs, 'input', AvgPoolGrad);
  const { filterSize, strides, pad } = args.attrs;
  const info = backend_util.computePool2DInfo(
    requireRank4(x, 'input', AvgPoolGrad),
    filterSize,
    strides,
    1,
    pad,
  );
  const { top, bottom, left, right } = info.padInfo;
  if (top + bottom + left + right > 0 || dy.dtype !== 'float32') {
    return native(args as unknown as Parameters<KernelFunc>[0]);
  }
  const { effectiveFilterHeight: filterHeight, effectiveFilterWidth: filterWidth } = info;
  return withWasmKernelScope(args.backend, (scope) => {
    const share = scope.run('Multiply', {
      a: dy,
      b: scope.run('Fill', {}, { shape: [], value: 1 / (filterHeight * filterWidth), dtype: 'float32' }),
    });
    const tapGradients = Array.from({ length: filterHeight }, () =>
      new Array<TensorInfo>(filterWidth).fill(share),
    );
    return scatterPoolWindowTaps(scope, info, tapGradients);
  });
}

export const avgPoolGradReplacement: WasmKernelReplacement = {
  kernelName: AvgPoolGrad,
  replace: (native) => (args) => avgPoolGrad(native, args as unknown as Parameters<typeof avgPoolGrad>[1]),
};
