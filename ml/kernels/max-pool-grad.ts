import {
  backend_util,
  MaxPoolGrad,
  type KernelFunc,
  type MaxPoolGradAttrs,
  type MaxPoolGradInputs,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { requireInput, requireRank4 } from './kernel-inputs';
import { scatterPoolWindowTaps } from './pool-window-scatter';
import type { WasmKernelReplacement } from './wasm-kernel-replacement';
import { windowTapFilter } from './window-tap-filter';
import { withWasmKernelScope } from './wasm-kernel-scope';

/**
 * tfjs-backend-wasm 4.22's MaxPoolGrad is wrong whenever a window's maximum is negative (it routes the
 * gradient to the window's first element or drops it; its MaxPoolWithArgmax has the same flaw) and is
 * a slow scalar loop. Here each window tap is compared with the pooled output, and the gradient goes to
 * the first tap in row-major order that holds the maximum — the CPU backend's and TensorFlow's choice —
 * then flows back to the input through `scatterPoolWindowTaps`.
 */
function maxPoolGrad(
  native: KernelFunc,
  args: { inputs: MaxPoolGradInputs; backend: BackendWasm; attrs: MaxPoolGradAttrs },
): TensorInfo | TensorInfo[] {
  const dy = requireInput(args.inputs, 'dy', MaxPoolGrad);
  const x = requireInput(args.inputs, 'input', MaxPoolGrad);
  const y = requireInput(args.inputs, 'output', MaxPoolGrad);
  if (x.dtype !== 'float32') return native(args as unknown as Parameters<KernelFunc>[0]);
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs;
  const info = backend_util.computePool2DInfo(
    requireRank4(x, 'input', MaxPoolGrad),
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { inHeight, inWidth, inChannels, outHeight, outWidth, strideHeight, strideWidth, padInfo } = info;
  const { effectiveFilterHeight: filterHeight, effectiveFilterWidth: filterWidth } = info;

  return withWasmKernelScope(args.backend, (scope) => {
    // Taps are read by one-hot depthwise convolutions (several times faster than the WASM StridedSlice).
    // Pad with the lowest float, not −∞, which would make −∞·0 = NaN; a padded position then never
    // equals a window maximum.
    const padBottom = Math.max(
      padInfo.bottom,
      (outHeight - 1) * strideHeight + filterHeight - inHeight - padInfo.top,
    );
    const padRight = Math.max(
      padInfo.right,
      (outWidth - 1) * strideWidth + filterWidth - inWidth - padInfo.left,
    );
    const needsPadding = padInfo.top > 0 || padInfo.left > 0 || padBottom > 0 || padRight > 0;
    const padded = needsPadding
      ? scope.run(
          'PadV2',
          { x },
          {
            paddings: [
              [0, 0],
              [padInfo.top, Math.max(padBottom, 0)],
              [padInfo.left, Math.max(padRight, 0)],
              [0, 0],
            ],
            constantValue: -FLOAT32_MAX,
          },
        )
      : x;
    // Gradient of the windows whose maximum no earlier tap has claimed. Masks are 0/1 floats and the
    // chain is multiply/subtract (XNNPACK) rather than Select, which is twice as slow here; exact, since
    // r·1 = r, r·0 = 0 and r − r = 0.
    let unclaimed = dy;
    const tapGradients: TensorInfo[][] = [];
    for (let i = 0; i < filterHeight; i++) {
      const row: TensorInfo[] = [];
      for (let j = 0; j < filterWidth; j++) {
        const tap = scope.run(
          'DepthwiseConv2dNative',
          { x: padded, filter: windowTapFilter(scope, [filterHeight, filterWidth, inChannels, 1], [i, j]) },
          { strides: [strideHeight, strideWidth], dilations: [1, 1], pad: 'valid' },
        );
        const isMax = scope.run('Equal', { a: tap, b: y });
        scope.free(tap);
        const hits = scope.run('Cast', { x: isMax }, { dtype: 'float32' });
        scope.free(isMax);
        const claimed = scope.run('Multiply', { a: unclaimed, b: hits });
        scope.free(hits);
        row.push(claimed);
        const isLastTap = i === filterHeight - 1 && j === filterWidth - 1;
        if (!isLastTap) {
          const stillUnclaimed = scope.run('Sub', { a: unclaimed, b: claimed });
          if (unclaimed !== dy) scope.free(unclaimed);
          unclaimed = stillUnclaimed;
        }
      }
      tapGradients.push(row);
    }
    return scatterPoolWindowTaps(scope, info, tapGradients);
  });
}

const FLOAT32_MAX = 3.4028234663852886e38;

export const maxPoolGradReplacement: WasmKernelReplacement = {
  kernelName: MaxPoolGrad,
  replace: (native) => (args) => maxPoolGrad(native, args as unknown as Parameters<typeof maxPoolGrad>[1]),
};
