import * as tf from '@tensorflow/tfjs';
import type { ValidatedBuildOptions } from './build-options';
import { scaleChannels } from './channel-scaling';
import { InitializerSeeds } from './initializer-seeds';

/**
 * A small CNN for quick runs (Fashion-MNIST 28×28×1, tests): three blocks of 3×3 conv → batch norm →
 * ReLU → 2×2 max-pool, then global average pooling and a dense classifier, so the parameter count does
 * not grow with the input size. Output: logits (no softmax).
 */

const BLOCK_CHANNELS = [32, 64, 128];
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
    x = tf.layers
      .batchNormalization({ momentum: BN_MOMENTUM, name: `${block}_bn` })
      .apply(x) as tf.SymbolicTensor;
    x = tf.layers.reLU({ name: `${block}_relu` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers
      .maxPooling2d({ poolSize: 2, strides: 2, name: `${block}_pool` })
      .apply(x) as tf.SymbolicTensor;
  });
  x = tf.layers.globalAveragePooling2d({ name: 'avg_pool' }).apply(x) as tf.SymbolicTensor;
  const logits = tf.layers
    .dense({ units: options.classes, kernelInitializer: seeds.glorotUniform(), name: 'predictions' })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name: 'small_cnn' });
}
