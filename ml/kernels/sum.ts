import { Sum, util, type KernelFunc, type SumAttrs, type SumInputs, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { requireInput } from './kernel-inputs';
import { reducesBatchAndSpace, scaledChannelSum } from './channel-sum';
import type { WasmKernelReplacement } from './wasm-kernel-replacement';
import { withWasmKernelScope } from './wasm-kernel-scope';

/** Float32 per-channel sums over N,H,W (bias and batch-norm gradients) through XNNPACK global pooling. */
function sum(
  native: KernelFunc,
  args: { inputs: SumInputs; backend: BackendWasm; attrs: SumAttrs },
): TensorInfo | TensorInfo[] {
  const x = requireInput(args.inputs, 'x', Sum);
  const axes = util.parseAxisParam(args.attrs.axis, x.shape);
  if (!reducesBatchAndSpace(axes, x.shape.length) || x.dtype !== 'float32') {
    return native(args as unknown as Parameters<KernelFunc>[0]);
  }
  const outShape = args.attrs.keepDims ? [1, 1, 1, x.shape[3] ?? 0] : [x.shape[3] ?? 0];
  return withWasmKernelScope(args.backend, (scope) => scope.reshape(scaledChannelSum(scope, x, 1), outShape));
}

export const sumReplacement: WasmKernelReplacement = {
  kernelName: Sum,
  replace: (native) => (args) => sum(native, args as unknown as Parameters<typeof sum>[1]),
};
