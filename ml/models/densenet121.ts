import * as tf from '@tensorflow/tfjs';
import { batchNormalization } from './batch-normalization';
import type { ModelVariant, ValidatedBuildOptions } from './build-options';
import { scaleChannels } from './channel-scaling';
import { InitializerSeeds } from './initializer-seeds';

/**
 * DenseNet-121 as in Keras Applications (8,062,504 parameters at 224×224×3 / 1000 classes): a 7×7/2
 * stem, dense blocks of 6, 12, 24, 16 bottleneck layers (growth rate 32) joined by transitions that
 * halve the channels and the resolution. `widthMultiplier` scales the growth rate and the stem (Keras
 * names with '/' become '_'). Output: logits (Keras applies softmax in `predictions`; the loss does).
 * torchvision's densenet121 has the same topology (its 3-pixel conv and 1-pixel pool paddings equal
 * Keras' explicit ones, the pool follows a ReLU so zero padding is -∞ padding); the 'torchvision'
 * variant only takes its batch-norm ε and momentum.
 */

const BLOCKS = [6, 12, 24, 16];
const GROWTH_RATE = 32;
const STEM_FILTERS = 64;
/** Batch-norm settings: Keras' densenet.py, and torchvision's PyTorch defaults (momentum 0.1 ⇔ 0.9). */
const BATCH_NORM: Record<ModelVariant, { epsilon: number; momentum: number }> = {
  keras: { epsilon: 1.001e-5, momentum: 0.99 },
  torchvision: { epsilon: 1e-5, momentum: 0.9 },
};
/** Stem (/2), pool (/2) and three 2×2 average pools must each leave at least one pixel. */
export const DENSENET121_MIN_INPUT_SIZE = 29;

export function buildDenseNet121(options: ValidatedBuildOptions): tf.LayersModel {
  const seeds = new InitializerSeeds(options.seed);
  const growthRate = scaleChannels(GROWTH_RATE, options.widthMultiplier);
  const layers = new DenseNetLayers(seeds, BATCH_NORM[options.variant]);
  const input = tf.input({ shape: options.inputShape, name: 'input' });

  let x = tf.layers.zeroPadding2d({ padding: 3, name: 'zero_padding2d' }).apply(input) as tf.SymbolicTensor;
  x = layers.conv(x, scaleChannels(STEM_FILTERS, options.widthMultiplier), 7, 'conv1_conv', 2);
  x = layers.bnRelu(x, 'conv1_bn', 'conv1_relu');
  x = tf.layers.zeroPadding2d({ padding: 1, name: 'zero_padding2d_1' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, name: 'pool1' }).apply(x) as tf.SymbolicTensor;

  BLOCKS.forEach((blockLayers, b) => {
    for (let i = 1; i <= blockLayers; i++) {
      x = layers.convBlock(x, growthRate, `conv${b + 2}_block${i}`);
    }
    if (b < BLOCKS.length - 1) {
      x = layers.transition(x, `pool${b + 2}`);
    }
  });

  x = layers.bnRelu(x, 'bn', 'relu');
  x = tf.layers.globalAveragePooling2d({ name: 'avg_pool' }).apply(x) as tf.SymbolicTensor;
  const logits = tf.layers
    .dense({ units: options.classes, kernelInitializer: seeds.glorotUniform(), name: 'predictions' })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name: 'densenet121' });
}

/** The three building blocks of Keras' densenet.py, sharing one seed sequence. */
class DenseNetLayers {
  constructor(
    private readonly seeds: InitializerSeeds,
    private readonly batchNorm: { epsilon: number; momentum: number },
  ) {}

  conv(
    x: tf.SymbolicTensor,
    filters: number,
    kernelSize: number,
    name: string,
    strides = 1,
  ): tf.SymbolicTensor {
    return tf.layers
      .conv2d({
        filters,
        kernelSize,
        strides,
        padding: kernelSize === 3 ? 'same' : 'valid',
        useBias: false,
        kernelInitializer: this.seeds.glorotUniform(),
        name,
      })
      .apply(x) as tf.SymbolicTensor;
  }

  bnRelu(x: tf.SymbolicTensor, bnName: string, reluName: string): tf.SymbolicTensor {
    const y = batchNormalization({ ...this.batchNorm, name: bnName }).apply(x) as tf.SymbolicTensor;
    return tf.layers.reLU({ name: reluName }).apply(y) as tf.SymbolicTensor;
  }

  /** BN-ReLU-conv1×1 (4×growth) → BN-ReLU-conv3×3 (growth), concatenated onto the input. */
  convBlock(x: tf.SymbolicTensor, growthRate: number, name: string): tf.SymbolicTensor {
    let y = this.bnRelu(x, `${name}_0_bn`, `${name}_0_relu`);
    y = this.conv(y, 4 * growthRate, 1, `${name}_1_conv`);
    y = this.bnRelu(y, `${name}_1_bn`, `${name}_1_relu`);
    y = this.conv(y, growthRate, 3, `${name}_2_conv`);
    return tf.layers.concatenate({ name: `${name}_concat` }).apply([x, y]) as tf.SymbolicTensor;
  }

  /** BN-ReLU-conv1×1 halving the channels, then 2×2 average pooling. */
  transition(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
    const channels = x.shape[3] as number;
    let y = this.bnRelu(x, `${name}_bn`, `${name}_relu`);
    y = this.conv(y, Math.trunc(channels * 0.5), 1, `${name}_conv`);
    return tf.layers
      .averagePooling2d({ poolSize: 2, strides: 2, name: `${name}_pool` })
      .apply(y) as tf.SymbolicTensor;
  }
}
