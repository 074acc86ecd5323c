import * as tf from '@tensorflow/tfjs';

/**
 * Hands out one seeded initialiser per weight, in build order. Every AMTO task must start from the same
 * weights, so nothing may fall back to tfjs' unseeded (Math.random) initialisers; and each layer needs its
 * own seed, because two initialisers with one seed and one shape would produce identical tensors.
 */
export class InitializerSeeds {
  private counter = 0;

  constructor(private readonly seed: number) {}

  /** Keras' default kernel initialiser. */
  glorotUniform(): ReturnType<typeof tf.initializers.glorotUniform> {
    return tf.initializers.glorotUniform({ seed: this.next() });
  }

  private next(): number {
    // seed < 2^31 and far fewer than 2^16 layers per model keep this exact and collision-free.
    this.counter += 1;
    return this.seed * 0x10000 + this.counter;
  }
}
