import * as tf from '@tensorflow/tfjs';
import { seedFor } from '../../amto';

/**
 * Dropout whose mask is a pure function of a seed the training loop sets for each step.
 *
 * tfjs' own Dropout draws its mask from Math.random (or, with a fixed seed, the same mask every step),
 * which would make a resumed or retried interval diverge from the uninterrupted run. The training loop
 * wraps each step in `withDropoutSeed(seed, ...)`; each dropout call inside takes the next derived seed.
 */

type LayerArgs = ConstructorParameters<typeof tf.layers.Layer>[0];
type CallKwargs = Parameters<tf.layers.Layer['call']>[1];

let activeSeed: number | null = null;
let callsInScope = 0;

/** Runs `fn` (one training step) with dropout masks derived from `seed`. */
export function withDropoutSeed<T>(seed: number, fn: () => T): T {
  const previous = { seed: activeSeed, calls: callsInScope };
  activeSeed = seed;
  callsInScope = 0;
  try {
    return fn();
  } finally {
    activeSeed = previous.seed;
    callsInScope = previous.calls;
  }
}

/** The mask seed of the `call`-th dropout call (from 1) in a step seeded `stepSeed`; the graph engine draws the same. */
export function dropoutCallSeed(stepSeed: number, call: number): number {
  return seedFor(stepSeed, 'dropout-call', call);
}

export class StepSeededDropout extends tf.layers.Layer {
  static className = 'StepSeededDropout';
  readonly rate: number;

  constructor(args: LayerArgs & { rate: number }) {
    super(args);
    if (!(args.rate >= 0 && args.rate < 1)) {
      throw new Error(`StepSeededDropout: rate must be in [0, 1); got ${args.rate}`);
    }
    this.rate = args.rate;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: CallKwargs): tf.Tensor {
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    if (input === undefined) {
      throw new Error(`${this.name}: expected one input tensor`);
    }
    if (kwargs['training'] !== true || this.rate === 0) {
      return input;
    }
    if (activeSeed === null) {
      throw new Error(
        `${this.name}: a training call needs a dropout seed; run the step inside withDropoutSeed(seed, fn)`,
      );
    }
    callsInScope += 1;
    return tf.dropout(input, this.rate, undefined, dropoutCallSeed(activeSeed, callsInScope));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate };
  }
}

// Registered on import so saved topologies containing this layer load back (modelFromArtifacts, loaders).
tf.serialization.registerClass(StepSeededDropout);
