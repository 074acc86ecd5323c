import type { backend_util, TensorInfo } from '@tensorflow/tfjs';
import { interleavePhases } from './interleave-phases';
import type { WasmKernelScope } from './wasm-kernel-scope';

/**
 * The input gradient of a 2-D pooling from per-tap gradients. Window tap (i, j) of output cell (p, q)
 * reads padded-input position (p·s + i, q·s + j), so `tapGradients[i][j]` ([N, Ho, Wo, C]) flows back
 * there. Positions are grouped by phase (row mod s, column mod s): within a phase every tap lands on a
 * whole-cell shift of the output grid, so a phase is a sum of padded tap gradients, and interleaving
 * the s² phases rebuilds the padded input, which is cropped to the input. No scatter, no index loop.
 */
export function scatterPoolWindowTaps(
  scope: WasmKernelScope,
  info: backend_util.Conv2DInfo,
  tapGradients: TensorInfo[][],
): TensorInfo {
  const {
    batchSize,
    inHeight,
    inWidth,
    inChannels,
    outHeight,
    outWidth,
    strideHeight,
    strideWidth,
    padInfo,
  } = info;
  const { effectiveFilterHeight: filterHeight, effectiveFilterWidth: filterWidth } = info;
  // Phase grid: tall enough for every shifted tap and for the padded input's rows up to the crop's end.
  const phaseHeight = Math.max(
    outHeight + Math.floor((filterHeight - 1) / strideHeight),
    Math.ceil((padInfo.top + inHeight) / strideHeight),
  );
  const phaseWidth = Math.max(
    outWidth + Math.floor((filterWidth - 1) / strideWidth),
    Math.ceil((padInfo.left + inWidth) / strideWidth),
  );
  const phaseShape = [batchSize, phaseHeight, phaseWidth, inChannels];

  const phase = (rowPhase: number, colPhase: number): TensorInfo => {
    const terms: TensorInfo[] = [];
    for (let i = rowPhase; i < filterHeight; i += strideHeight) {
      for (let j = colPhase; j < filterWidth; j += strideWidth) {
        const gradient = tapGradients[i]?.[j];
        if (gradient === undefined) throw new Error(`pool gradient: missing tap (${i}, ${j})`);
        const top = Math.floor(i / strideHeight);
        const left = Math.floor(j / strideWidth);
        const paddings = [
          [0, 0],
          [top, phaseHeight - outHeight - top],
          [left, phaseWidth - outWidth - left],
          [0, 0],
        ];
        const needsPadding = paddings.some(([before = 0, after = 0]) => before > 0 || after > 0);
        terms.push(
          needsPadding ? scope.run('PadV2', { x: gradient }, { paddings, constantValue: 0 }) : gradient,
        );
      }
    }
    if (terms.length === 0) return scope.run('Fill', {}, { shape: phaseShape, value: 0, dtype: 'float32' });
    return terms.length === 1 ? (terms[0] as TensorInfo) : scope.runOnList('AddN', terms);
  };

  const phases = Array.from({ length: strideHeight }, (_, a) =>
    Array.from({ length: strideWidth }, (_, b) => phase(a, b)),
  );
  return scope.cropTo(
    interleavePhases(scope, phases),
    [0, padInfo.top, padInfo.left, 0],
    [batchSize, inHeight, inWidth, inChannels],
  );
}
