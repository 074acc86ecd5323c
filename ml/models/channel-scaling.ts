/** Channel-count arithmetic shared by the width-scalable architectures. */

/** Scales a channel count by the width multiplier, keeping at least one channel. */
export function scaleChannels(channels: number, widthMultiplier: number): number {
  return Math.max(1, Math.round(channels * widthMultiplier));
}

/**
 * Keras Applications' `_make_divisible`: rounds to the nearest multiple of `divisor` (at least `divisor`)
 * without going more than 10% below `value`. MobileNetV2 uses it so channel counts stay hardware friendly.
 */
export function makeDivisible(value: number, divisor: number): number {
  let rounded = Math.max(divisor, Math.floor((value + divisor / 2) / divisor) * divisor);
  if (rounded < 0.9 * value) {
    rounded += divisor;
  }
  return rounded;
}
