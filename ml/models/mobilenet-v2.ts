import * as tf from '@tensorflow/tfjs';
import { batchNormalization } from './batch-normalization';
import type { ModelVariant, ValidatedBuildOptions } from './build-options';
import { makeDivisible } from './channel-scaling';
import { InitializerSeeds } from './initializer-seeds';
import { StepSeededDropout } from './step-seeded-dropout';

/**
 * MobileNetV2 as in Keras Applications (3,538,984 parameters including batch-norm statistics at
 * 224×224×3 / 1000 classes, alpha 1.0): layer names, padding (`correct_pad` before stride-2 depthwise
 * convs), batch-norm epsilon/momentum and channel rounding all follow keras.applications.MobileNetV2.
 * `widthMultiplier` is Keras' alpha. Output: logits (Keras applies softmax in `predictions`; the loss does).
 *
 * The 'torchvision' variant is torchvision's mobilenet_v2 under the same layer names: every stride-2 conv
 * pads one pixel on all sides (PyTorch's padding=1, where Keras pads the bottom/right of an even axis),
 * batch-norm ε 1e-5 and momentum 0.9 (PyTorch's 0.1), channels rounded from the unrounded product, and
 * dropout 0.2 before the classifier.
 */

/** [expansion, output channels, repeats, first stride] of each bottleneck stage (paper Table 2). */
const STAGES: ReadonlyArray<readonly [number, number, number, number]> = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];
interface VariantSpec {
  bn: { epsilon: number; momentum: number };
  /** The output channels of a bottleneck stage of `filters` channels at width `alpha`. */
  stageChannels: (filters: number, alpha: number) => number;
  /** Explicit padding before a stride-2 conv of a `size`-pixel axis: [before, after]. */
  stride2Pad: (size: number) => [number, number];
  classifierDropout: number;
}

const VARIANTS: Record<ModelVariant, VariantSpec> = {
  keras: {
    bn: { epsilon: 1e-3, momentum: 0.999 },
    stageChannels: (filters, alpha) => makeDivisible(Math.trunc(filters * alpha), 8),
    // Keras' `correct_pad`: one pixel each side, one fewer at the top/left of an even-sized axis.
    stride2Pad: (size) => [size % 2 === 0 ? 0 : 1, 1],
    classifierDropout: 0,
  },
  torchvision: {
    bn: { epsilon: 1e-5, momentum: 0.9 },
    stageChannels: (filters, alpha) => makeDivisible(filters * alpha, 8),
    stride2Pad: () => [1, 1],
    classifierDropout: 0.2,
  },
};
/** 'same' convs and edge-padded depthwise convs build at any size; below 32 the last stages see 1×1 maps. */
export const MOBILENET_V2_MIN_INPUT_SIZE = 1;

export function buildMobileNetV2(options: ValidatedBuildOptions): tf.LayersModel {
  const seeds = new InitializerSeeds(options.seed);
  const alpha = options.widthMultiplier;
  const variant = VARIANTS[options.variant];
  const batchNorm = variant.bn;
  const input = tf.input({ shape: options.inputShape, name: 'input' });

  // TensorFlow's 'same' pads an even axis at the bottom/right only, as Keras wants; torchvision pads both.
  let x: tf.SymbolicTensor = input;
  if (options.variant === 'torchvision') x = stride2Padding(x, variant, 'Conv1_pad');
  x = tf.layers
    .conv2d({
      filters: makeDivisible(32 * alpha, 8),
      kernelSize: 3,
      strides: 2,
      padding: options.variant === 'torchvision' ? 'valid' : 'same',
      useBias: false,
      kernelInitializer: seeds.glorotUniform(),
      name: 'Conv1',
    })
    .apply(x) as tf.SymbolicTensor;
  x = batchNormalization({ ...batchNorm, name: 'bn_Conv1' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ maxValue: 6, name: 'Conv1_relu' }).apply(x) as tf.SymbolicTensor;

  let blockId = 0;
  for (const [expansion, filters, repeats, firstStride] of STAGES) {
    for (let r = 0; r < repeats; r++) {
      x = invertedResidualBlock(x, {
        expansion,
        stride: r === 0 ? firstStride : 1,
        filters: variant.stageChannels(filters, alpha),
        blockId,
        seeds,
        variant,
      });
      blockId += 1;
    }
  }

  x = tf.layers
    .conv2d({
      filters: alpha > 1 ? makeDivisible(1280 * alpha, 8) : 1280,
      kernelSize: 1,
      useBias: false,
      kernelInitializer: seeds.glorotUniform(),
      name: 'Conv_1',
    })
    .apply(x) as tf.SymbolicTensor;
  x = batchNormalization({ ...batchNorm, name: 'Conv_1_bn' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ maxValue: 6, name: 'out_relu' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({ name: 'global_average_pooling2d' }).apply(x) as tf.SymbolicTensor;
  if (variant.classifierDropout > 0) {
    x = new StepSeededDropout({ rate: variant.classifierDropout, name: 'classifier_dropout' }).apply(
      x,
    ) as tf.SymbolicTensor;
  }
  const logits = tf.layers
    .dense({ units: options.classes, kernelInitializer: seeds.glorotUniform(), name: 'predictions' })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name: 'mobilenet_v2' });
}

interface BlockSpec {
  expansion: number;
  stride: number;
  filters: number;
  blockId: number;
  seeds: InitializerSeeds;
  variant: VariantSpec;
}

function invertedResidualBlock(input: tf.SymbolicTensor, spec: BlockSpec): tf.SymbolicTensor {
  const { expansion, stride, filters, blockId, seeds, variant } = spec;
  const batchNorm = variant.bn;
  const inChannels = input.shape[3] as number;
  const prefix = blockId === 0 ? 'expanded_conv_' : `block_${blockId}_`;
  let x = input;
  if (blockId !== 0) {
    x = tf.layers
      .conv2d({
        filters: expansion * inChannels,
        kernelSize: 1,
        useBias: false,
        kernelInitializer: seeds.glorotUniform(),
        name: `${prefix}expand`,
      })
      .apply(x) as tf.SymbolicTensor;
    x = batchNormalization({ ...batchNorm, name: `${prefix}expand_BN` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.reLU({ maxValue: 6, name: `${prefix}expand_relu` }).apply(x) as tf.SymbolicTensor;
  }
  if (stride === 2) x = stride2Padding(x, variant, `${prefix}pad`);
  x = tf.layers
    .depthwiseConv2d({
      kernelSize: 3,
      strides: stride,
      padding: stride === 1 ? 'same' : 'valid',
      useBias: false,
      depthwiseInitializer: seeds.glorotUniform(),
      name: `${prefix}depthwise`,
    })
    .apply(x) as tf.SymbolicTensor;
  x = batchNormalization({ ...batchNorm, name: `${prefix}depthwise_BN` }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ maxValue: 6, name: `${prefix}depthwise_relu` }).apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .conv2d({
      filters,
      kernelSize: 1,
      useBias: false,
      kernelInitializer: seeds.glorotUniform(),
      name: `${prefix}project`,
    })
    .apply(x) as tf.SymbolicTensor;
  x = batchNormalization({ ...batchNorm, name: `${prefix}project_BN` }).apply(x) as tf.SymbolicTensor;
  if (inChannels === filters && stride === 1) {
    return tf.layers.add({ name: `${prefix}add` }).apply([input, x]) as tf.SymbolicTensor;
  }
  return x;
}

/** The explicit zero padding before a 3×3 stride-2 'valid' conv (see VariantSpec.stride2Pad). */
function stride2Padding(x: tf.SymbolicTensor, variant: VariantSpec, name: string): tf.SymbolicTensor {
  const [, height, width] = x.shape;
  return tf.layers
    .zeroPadding2d({ padding: [variant.stride2Pad(height ?? 1), variant.stride2Pad(width ?? 1)], name })
    .apply(x) as tf.SymbolicTensor;
}
