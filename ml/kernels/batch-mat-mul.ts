import {
  BatchMatMul,
  type BatchMatMulAttrs,
  type BatchMatMulInputs,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { requireInput } from './kernel-inputs';
import type { WasmKernelReplacement } from './wasm-kernel-replacement';
import { withWasmKernelScope } from './wasm-kernel-scope';

/**
 * tfjs-backend-wasm 4.22 sends a single (batch-1) matrix product to XNNPACK only when neither operand
 * is transposed; with transposeA/transposeB — every Dense layer's backward pass — it falls back to a
 * scalar blocked loop. Materialising the transpose first and calling the backend's kernel without
 * flags puts those products on XNNPACK. Batched products keep the backend's own path.
 */
function batchMatMul(
  native: KernelFunc,
  args: { inputs: BatchMatMulInputs; backend: BackendWasm; attrs: BatchMatMulAttrs },
): TensorInfo | TensorInfo[] {
  const { backend, attrs } = args;
  const a = requireInput(args.inputs, 'a', BatchMatMul);
  const b = requireInput(args.inputs, 'b', BatchMatMul);
  const isSingleProduct = batchSize(a) === 1 && batchSize(b) === 1;
  if (!isSingleProduct || (!attrs.transposeA && !attrs.transposeB)) {
    return native(args as unknown as Parameters<KernelFunc>[0]);
  }
  return withWasmKernelScope(backend, (scope) => {
    const untranspose = (x: TensorInfo, transposed: boolean): TensorInfo => {
      if (!transposed) return x;
      const rows = x.shape[x.shape.length - 2] ?? 1;
      const cols = x.shape[x.shape.length - 1] ?? 1;
      const swapped = scope.transpose(scope.reshape(x, [rows, cols]), [1, 0]);
      return scope.reshape(swapped, [...x.shape.slice(0, -2), cols, rows]);
    };
    return scope.call(
      native,
      { a: untranspose(a, attrs.transposeA), b: untranspose(b, attrs.transposeB) },
      { transposeA: false, transposeB: false },
      BatchMatMul,
    );
  });
}

function batchSize(x: TensorInfo): number {
  return x.shape.slice(0, -2).reduce((size, dim) => size * dim, 1);
}

export const batchMatMulReplacement: WasmKernelReplacement = {
  kernelName: BatchMatMul,
  replace: (native) => (args) => batchMatMul(native, args as unknown as Parameters<typeof batchMatMul>[1]),
};
