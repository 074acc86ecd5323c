import * as tf from '@tensorflow/tfjs';
import type { ValidatedBuildOptions } from './build-options';
import { scaleChannels } from './channel-scaling';
import { InitializerSeeds } from './initializer-seeds';
import { StepSeededDropout } from './step-seeded-dropout';

/**
 * SqueezeNet 1.1 with torchvision's topology (1,235,496 parameters at 224×224×3 / 1000 classes):
 * conv 3×3/2 → max-pool → fire ×2 → max-pool → fire ×2 → max-pool → fire ×4 → dropout 0.5 →
 * conv 1×1 (classes) → ReLU → global average pool. Output: logits (torchvision's, ReLU included).
 */

/** [squeeze, expand] channels of fire2..fire9; every expand is split evenly between 1×1 and 3×3. */
const FIRE_MODULES: ReadonlyArray<readonly [number, number]> = [
  [16, 64],
  [16, 64],
  [32, 128],
  [32, 128],
  [48, 192],
  [48, 192],
  [64, 256],
  [64, 256],
];
/** A max-pool (3×3, stride 2) precedes the fire modules with these indices. */
const POOL_BEFORE_FIRE = new Set([0, 2, 4]);
const POOL_SIZE = 3;
const CLASSIFIER_BIAS = 0.1;
/** The conv stem and three 3×3/2 ceil-mode pools must each see at least 3 pixels. */
export const SQUEEZENET_MIN_INPUT_SIZE = 25;

export function buildSqueezeNet11(options: ValidatedBuildOptions): tf.LayersModel {
  const seeds = new InitializerSeeds(options.seed);
  const scale = (channels: number): number => scaleChannels(channels, options.widthMultiplier);
  const conv = (
    name: string,
    filters: number,
    kernelSize: number,
    x: tf.SymbolicTensor,
    {
      strides = 1,
      padding = 'same',
      bias = 0,
    }: { strides?: number; padding?: 'same' | 'valid'; bias?: number } = {},
  ): tf.SymbolicTensor => {
    const y = tf.layers
      .conv2d({
        filters,
        kernelSize,
        strides,
        padding,
        kernelInitializer: seeds.glorotUniform(),
        biasInitializer: tf.initializers.constant({ value: bias }),
        name,
      })
      .apply(x) as tf.SymbolicTensor;
    return tf.layers.reLU({ name: `${name}_relu` }).apply(y) as tf.SymbolicTensor;
  };

  const input = tf.input({ shape: options.inputShape, name: 'input' });
  let x = conv('conv1', scale(64), 3, input, { strides: 2, padding: 'valid' });
  FIRE_MODULES.forEach(([squeeze, expand], i) => {
    if (POOL_BEFORE_FIRE.has(i)) {
      x = ceilModeMaxPool(x, `pool${i + 1}`);
    }
    const fire = `fire${i + 2}`;
    const squeezed = conv(`${fire}_squeeze1x1`, scale(squeeze), 1, x);
    const expand1x1 = conv(`${fire}_expand1x1`, scale(expand), 1, squeezed);
    const expand3x3 = conv(`${fire}_expand3x3`, scale(expand), 3, squeezed);
    x = tf.layers.concatenate({ name: `${fire}_concat` }).apply([expand1x1, expand3x3]) as tf.SymbolicTensor;
  });
  x = new StepSeededDropout({ rate: 0.5, name: 'classifier_dropout' }).apply(x) as tf.SymbolicTensor;
  // The logits pass a ReLU (torchvision's topology). With torchvision's zero bias most start at exactly 0
  // and get no gradient, so training from scratch often never starts; a small positive bias keeps them live.
  x = conv('classifier_conv', options.classes, 1, x, { bias: CLASSIFIER_BIAS });
  const logits = tf.layers.globalAveragePooling2d({ name: 'classifier_pool' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name: 'squeezenet1_1' });
}

/**
 * torchvision pools with ceil_mode=True (a partial window at the bottom/right edge still yields an
 * output). Every pooled tensor here follows a ReLU, so zero-padding that edge by one pixel before a
 * 'valid' pool gives exactly the ceil-mode result.
 */
function ceilModeMaxPool(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  const [, height, width] = x.shape;
  const needsPad = (size: number | null | undefined): number => ((size ?? POOL_SIZE) - POOL_SIZE) % 2;
  const padBottom = needsPad(height);
  const padRight = needsPad(width);
  if (padBottom > 0 || padRight > 0) {
    x = tf.layers
      .zeroPadding2d({
        padding: [
          [0, padBottom],
          [0, padRight],
        ],
        name: `${name}_ceil_pad`,
      })
      .apply(x) as tf.SymbolicTensor;
  }
  return tf.layers.maxPooling2d({ poolSize: POOL_SIZE, strides: 2, name }).apply(x) as tf.SymbolicTensor;
}
