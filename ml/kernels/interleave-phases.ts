import type { TensorInfo } from '@tensorflow/tfjs';
import type { WasmKernelScope } from './wasm-kernel-scope';

/**
 * Rebuilds an [N, U·sh, V·sw, C] tensor from its stride phases: `phases[a][b]` ([N, U, V, C]) holds rows
 * a, a+sh, … and columns b, b+sw, …. Concatenating the column phases on the channel axis puts (v, b, c)
 * in row-major order, i.e. column v·sw + b; stacking the row phases the same way gives row u·sh + a.
 */
export function interleavePhases(scope: WasmKernelScope, phases: TensorInfo[][]): TensorInfo {
  const first = phases[0]?.[0];
  if (first === undefined) throw new Error('interleavePhases: no phases');
  const [batch = 0, height = 0, width = 0, channels = 0] = first.shape;
  const strideHeight = phases.length;
  const strideWidth = phases[0]?.length ?? 0;
  if (strideHeight === 1 && strideWidth === 1) return first;
  const rows = phases.map((columnPhases) => {
    const row =
      columnPhases.length === 1 ? columnPhases[0]! : scope.runOnList('Concat', columnPhases, { axis: 3 });
    return scope.reshape(row, [batch, height, 1, width * strideWidth * channels]);
  });
  const stacked = rows.length === 1 ? rows[0]! : scope.runOnList('Concat', rows, { axis: 2 });
  return scope.reshape(stacked, [batch, height * strideHeight, width * strideWidth, channels]);
}
