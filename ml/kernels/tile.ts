import {
  Tile,
  util,
  type KernelFunc,
  type TensorInfo,
  type TileAttrs,
  type TileInputs,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { requireInput } from './kernel-inputs';
import type { WasmKernelReplacement } from './wasm-kernel-replacement';
import { withWasmKernelScope } from './wasm-kernel-scope';

/**
 * tfjs-core's batch-norm gradient tiles the per-channel scale [1,1,1,C] up to [N,H,W,C], and the WASM
 * Tile kernel is a scalar index loop (the single most expensive kernel of a batch-norm network's
 * step). When the tile is a broadcast — repeated axes all have size 1 in x and precede every axis that
 * is not repeated — it is the outer product ones[P,1] · x[1,Q], which XNNPACK writes at memory speed.
 */
function tile(
  native: KernelFunc,
  args: { inputs: TileInputs; backend: BackendWasm; attrs: TileAttrs },
): TensorInfo | TensorInfo[] {
  const x = requireInput(args.inputs, 'x', Tile);
  const { reps } = args.attrs;
  const split = broadcastSplit(x.shape, reps);
  if (split === undefined || x.dtype !== 'float32') {
    return native(args as unknown as Parameters<KernelFunc>[0]);
  }
  const copies = util.sizeFromShape(reps.slice(0, split));
  const outShape = x.shape.map((dim, axis) => dim * (reps[axis] ?? 1));
  return withWasmKernelScope(args.backend, (scope) => {
    const ones = scope.run('Fill', {}, { shape: [copies, 1], value: 1, dtype: 'float32' });
    const product = scope.run(
      'BatchMatMul',
      { a: ones, b: scope.reshape(x, [1, util.sizeFromShape(x.shape)]) },
      { transposeA: false, transposeB: false },
    );
    return scope.reshape(product, outShape);
  });
}

/** The axis k with reps[i] = 1 for i ≥ k and shape[i] = 1 for i < k (and something repeated), else undefined. */
function broadcastSplit(shape: number[], reps: number[]): number | undefined {
  let split = reps.length;
  while (split > 0 && reps[split - 1] === 1) split--;
  if (split === 0) return undefined;
  return shape.slice(0, split).every((dim) => dim === 1) ? split : undefined;
}

export const tileReplacement: WasmKernelReplacement = {
  kernelName: Tile,
  replace: (native) => (args) => tile(native, args as unknown as Parameters<typeof tile>[1]),
};
