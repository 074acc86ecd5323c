/**
 * Small deterministic random sources for the ml layer. Everything random in training (flips, dropout
 * masks, stratified splits, synthetic images) must be a pure function of seeds the caller controls, so a
 * retried or resumed activity reproduces the same numbers bit for bit.
 */

/** Mixes integers into one 32-bit unsigned seed (murmur3-style finaliser over each part). */
export function mixSeeds(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    if (!Number.isInteger(part)) {
      throw new Error(`mixSeeds: every part must be an integer, got ${part}`);
    }
    // Fold both 32-bit halves so large integers (up to 2^53) still mix fully.
    for (const word of [part >>> 0, Math.floor(part / 0x100000000) >>> 0]) {
      h = Math.imul(h ^ word, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h ^= h >>> 16;
    }
  }
  return h >>> 0;
}

/** Mulberry32: a fast 32-bit generator, uniform in [0, 1). Good enough for augmentation and shuffles. */
export function uniformSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x100000000;
  };
}

/** Fisher–Yates shuffle in place, driven by `uniform01`. */
export function shuffleInPlace<T>(items: T[], uniform01: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(uniform01() * (i + 1));
    const tmp = items[i] as T;
    items[i] = items[j] as T;
    items[j] = tmp;
  }
  return items;
}
