import {
  Mean,
  util,
  type KernelFunc,
  type MeanAttrs,
  type MeanInputs,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { requireInput } from './kernel-inputs';
import { reducedSize, reducesBatchAndSpace, scaledChannelSum } from './channel-sum';
import type { WasmKernelReplacement } from './wasm-kernel-replacement';
import { withWasmKernelScope } from './wasm-kernel-scope';

/** Float32 per-channel means over N,H,W (batch-norm statistics) through XNNPACK global pooling. */
function mean(
  native: KernelFunc,
  args: { inputs: MeanInputs; backend: BackendWasm; attrs: MeanAttrs },
): TensorInfo | TensorInfo[] {
  const x = requireInput(args.inputs, 'x', Mean);
  const axes = util.parseAxisParam(args.attrs.axis, x.shape);
  if (!reducesBatchAndSpace(axes, x.shape.length) || x.dtype !== 'float32') {
    return native(args as unknown as Parameters<KernelFunc>[0]);
  }
  const outShape = args.attrs.keepDims ? [1, 1, 1, x.shape[3] ?? 0] : [x.shape[3] ?? 0];
  const scale = 1 / reducedSize(x.shape, axes);
  return withWasmKernelScope(args.backend, (scope) =>
    scope.reshape(scaledChannelSum(scope, x, scale), outShape),
  );
}

export const meanReplacement: WasmKernelReplacement = {
  kernelName: Mean,
  replace: (native) => (args) => mean(native, args as unknown as Parameters<typeof mean>[1]),
};
