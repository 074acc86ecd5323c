import * as tf from '@tensorflow/tfjs';
import { batchNormalization } from './batch-normalization';
import type { ValidatedBuildOptions } from './build-options';
import { scaleChannels } from './channel-scaling';
import { InitializerSeeds } from './initializer-seeds';

/**
 * A small CNN for quick runs (Fashion-MNIST 28×28×1, tests): three blocks of 3×3 conv → batch norm →
 * ReLU → 2×2 max-pool, then a dense classifier on the flattened features. Output: logits (no softmax).
 */

const BLOCK_CHANNELS = [16, 32, 64];
/** The classifier sees at most this many cells per side (see capFeatureGrid). */
const MAX_GRID = 4;
/** Three 2×2 pools need at least 8 pixels to leave one. */
export const SMALL_CNN_MIN_INPUT_SIZE = 8;
/** Faster than Keras' 0.99 so the moving statistics settle within the few hundred steps this model runs. */
const BN_MOMENTUM = 0.9;

export function buildSmallCnn(options: ValidatedBuildOptions): tf.LayersModel {
  const seeds = new InitializerSeeds(options.seed);
  const input = tf.input({ shape: options.inputShape, name: 'input' });
  let x: tf.SymbolicTensor = input;
  BLOCK_CHANNELS.forEach((channels, i) => {
    const block = `block${i + 1}`;
    x = tf.layers
      .conv2d({
        filters: scaleChannels(channels, options.widthMultiplier),
        kernelSize: 3,
        padding: 'same',
        useBias: false, // batch norm's beta is the bias
        kernelInitializer: seeds.glorotUniform(),
        name: `${block}_conv`,
      })
      .apply(x) as tf.SymbolicTensor;
    x = batchNormalization({ momentum: BN_MOMENTUM, name: `${block}_bn` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.reLU({ name: `${block}_relu` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers
      .maxPooling2d({ poolSize: 2, strides: 2, name: `${block}_pool` })
      .apply(x) as tf.SymbolicTensor;
  });
  x = capFeatureGrid(x);
  x = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
  const logits = tf.layers
    .dense({ units: options.classes, kernelInitializer: seeds.glorotUniform(), name: 'predictions' })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name: 'small_cnn' });
}

/**
 * Flattening keeps where features are, which small images (clothing outlines) need and global pooling
 * loses; average-pooling larger maps down to at most MAX_GRID × MAX_GRID first keeps the classifier's
 * size bounded at large inputs.
 */
function capFeatureGrid(x: tf.SymbolicTensor): tf.SymbolicTensor {
  const [, height, width] = x.shape;
  const pool = [Math.ceil((height ?? 1) / MAX_GRID), Math.ceil((width ?? 1) / MAX_GRID)] as [number, number];
  if (pool[0] === 1 && pool[1] === 1) {
    return x;
  }
  return tf.layers
    .averagePooling2d({ poolSize: pool, strides: pool, padding: 'same', name: 'grid_pool' })
    .apply(x) as tf.SymbolicTensor;
}
