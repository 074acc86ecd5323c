/**
 * Seeded randomness for every random choice AMTO makes (splits, batch order, donors).
 *
 * Generator: xoshiro128** 1.1 (Blackman & Vigna), 128-bit state, 32-bit outputs; fast in plain JS
 * through Math.imul and unsigned shifts, and well studied.
 *
 * Streams: each random purpose gets its own generator whose state is a hash of the whole key
 * (seed, purpose, ...ints), e.g. ('donor', round, task). A draw therefore never depends on how many
 * draws another purpose made before it, nor on the order in which tasks or rounds are processed:
 * replaying a workflow, retrying an activity or running the master and the slave on different
 * machines reproduces the same numbers.
 */

const UINT32_RANGE = 2 ** 32;
/** Largest bound for which a 32-bit draw times the bound is an exact double (< 2^53). */
const MULTIPLY_SHIFT_MAX_BOUND = 2 ** 21;

/** Lane seeds for the key hash (hex digits of pi); four lanes give a 128-bit state per key. */
const LANE_SEEDS = [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344] as const;

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** MurmurHash3's finaliser: a bijection on 32-bit words with full avalanche. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** MurmurHash3 x86_32 over 32-bit words, seeded per lane. */
function hashWords(words: readonly number[], laneSeed: number): number {
  let h = laneSeed;
  for (const word of words) {
    let k = Math.imul(word, 0xcc9e2d51);
    k = rotl(k, 15);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = rotl(h, 13);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  return fmix32(h ^ words.length);
}

function checkKeyInteger(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${what} must be a non-negative safe integer (got ${String(value)})`);
  }
}

/**
 * The key as 32-bit words. Every variable-length part is preceded by its length, so distinct keys
 * never produce the same word sequence (('ab', 1) ≠ ('a', ...)).
 */
function keyWords(seed: number, purpose: string, ints: readonly number[]): number[] {
  const words: number[] = [];
  const pushInt = (value: number): void => {
    words.push(value >>> 0, Math.floor(value / UINT32_RANGE) >>> 0);
  };
  pushInt(seed);
  words.push(purpose.length);
  for (let i = 0; i < purpose.length; i++) words.push(purpose.charCodeAt(i));
  words.push(ints.length);
  for (const value of ints) pushInt(value);
  return words;
}

/** One reproducible sequence of random numbers. Not safe to share between purposes: make a stream each. */
export class RandomStream {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** Starts from raw state words; use `createStream` unless you need the generator's reference vectors. */
  constructor(state: readonly [number, number, number, number]) {
    [this.s0, this.s1, this.s2, this.s3] = state.map((word) => word >>> 0) as [
      number,
      number,
      number,
      number,
    ];
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) {
      throw new RangeError('xoshiro128** state must not be all zeros');
    }
  }

  /** The next 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A float in [0, 1) with 32 random bits (spacing 2^-32), enough for every sampling AMTO does. */
  nextFloat(): number {
    return this.nextUint32() / UINT32_RANGE;
  }

  /** An unbiased integer in [0, n) for an integer n in [1, 2^32]. */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > UINT32_RANGE) {
      throw new RangeError(`nextInt bound must be an integer in [1, 2^32] (got ${String(n)})`);
    }
    return this.below(n);
  }

  /** Shuffles `items` in place (Fisher–Yates, uniform over all permutations) and returns it. */
  shuffle<T extends { length: number; [index: number]: unknown }>(items: T): T {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const held = items[i];
      items[i] = items[j];
      items[j] = held;
    }
    return items;
  }

  /**
   * `nextInt` without the argument check, for hot loops (a 60,000-sample shuffle per epoch).
   * Lemire's multiply-shift with rejection ("nearly divisionless"): unbiased and, unlike a modulo,
   * cheap in JS; exact while u32 · n < 2^53. Larger bounds fall back to modulo rejection.
   */
  private below(n: number): number {
    if (n > MULTIPLY_SHIFT_MAX_BOUND) {
      const limit = UINT32_RANGE - (UINT32_RANGE % n);
      let x = this.nextUint32();
      while (x >= limit) x = this.nextUint32();
      return x % n;
    }
    let product = this.nextUint32() * n;
    let high = Math.floor(product / UINT32_RANGE);
    let low = product - high * UINT32_RANGE;
    if (low < n) {
      // Only here can a draw fall in the biased sliver; the modulo runs with probability n / 2^32.
      const threshold = (UINT32_RANGE - n) % n;
      while (low < threshold) {
        product = this.nextUint32() * n;
        high = Math.floor(product / UINT32_RANGE);
        low = product - high * UINT32_RANGE;
      }
    }
    return high;
  }
}

/**
 * The stream for one random purpose, e.g. `createStream(seed, 'donor', round, task)`.
 * `seed` and `ints` must be non-negative safe integers; `purpose` names what the numbers are for,
 * so two purposes with the same integers still get independent streams.
 */
export function createStream(seed: number, purpose: string, ...ints: number[]): RandomStream {
  checkKeyInteger(seed, 'seed');
  ints.forEach((value, index) => checkKeyInteger(value, `stream key integer #${index + 1} for "${purpose}"`));
  const words = keyWords(seed, purpose, ints);
  const state = LANE_SEEDS.map((laneSeed) => hashWords(words, laneSeed)) as [number, number, number, number];
  // Four independent 32-bit hashes are all zero with probability 2^-128; keep the generator valid anyway.
  if ((state[0] | state[1] | state[2] | state[3]) === 0) state[0] = 1;
  return new RandomStream(state);
}

/**
 * A 32-bit seed for a library that runs its own generator (tf.dropout's mask), keyed like a stream
 * so it is as independent of other purposes as `createStream(seed, purpose, ...ints)` is.
 */
export function seedFor(seed: number, purpose: string, ...ints: number[]): number {
  return createStream(seed, purpose, ...ints).nextUint32();
}
