import * as tf from '@tensorflow/tfjs';
import type { ValidatedBuildOptions } from './build-options';
import { makeDivisible } from './channel-scaling';
import { InitializerSeeds } from './initializer-seeds';

/**
 * MobileNetV2 as in Keras Applications (3,538,984 parameters including batch-norm statistics at
 * 224×224×3 / 1000 classes, alpha 1.0): layer names, padding (`correct_pad` before stride-2 depthwise
 * convs), batch-norm epsilon/momentum and channel rounding all follow keras.applications.MobileNetV2.
 * `widthMultiplier` is Keras' alpha. Output: logits (Keras applies softmax in `predictions`; the loss does).
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
const BN = { epsilon: 1e-3, momentum: 0.999 };
/** 'same' convs and edge-padded depthwise convs build at any size; below 32 the last stages see 1×1 maps. */
export const MOBILENET_V2_MIN_INPUT_SIZE = 1;

export function buildMobileNetV2(options: ValidatedBuildOptions): tf.LayersModel {
  const seeds = new InitializerSeeds(options.seed);
  const alpha = options.widthMultiplier;
  const input = tf.input({ shape: options.inputShape, name: 'input' });

  let x = tf.layers
    .conv2d({
      filters: makeDivisible(32 * alpha, 8),
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      useBias: false,
      kernelInitializer: seeds.glorotUniform(),
      name: 'Conv1',
    })
    .apply(input) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ ...BN, name: 'bn_Conv1' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ maxValue: 6, name: 'Conv1_relu' }).apply(x) as tf.SymbolicTensor;

  let blockId = 0;
  for (const [expansion, filters, repeats, firstStride] of STAGES) {
    for (let r = 0; r < repeats; r++) {
      x = invertedResidualBlock(x, {
        expansion,
        stride: r === 0 ? firstStride : 1,
        filters: makeDivisible(Math.trunc(filters * alpha), 8),
        blockId,
        seeds,
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
  x = tf.layers.batchNormalization({ ...BN, name: 'Conv_1_bn' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ maxValue: 6, name: 'out_relu' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({ name: 'global_average_pooling2d' }).apply(x) as tf.SymbolicTensor;
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
}

function invertedResidualBlock(input: tf.SymbolicTensor, spec: BlockSpec): tf.SymbolicTensor {
  const { expansion, stride, filters, blockId, seeds } = spec;
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
    x = tf.layers.batchNormalization({ ...BN, name: `${prefix}expand_BN` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.reLU({ maxValue: 6, name: `${prefix}expand_relu` }).apply(x) as tf.SymbolicTensor;
  }
  if (stride === 2) {
    x = tf.layers
      .zeroPadding2d({ padding: correctPad(x), name: `${prefix}pad` })
      .apply(x) as tf.SymbolicTensor;
  }
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
  x = tf.layers.batchNormalization({ ...BN, name: `${prefix}depthwise_BN` }).apply(x) as tf.SymbolicTensor;
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
  x = tf.layers.batchNormalization({ ...BN, name: `${prefix}project_BN` }).apply(x) as tf.SymbolicTensor;
  if (inChannels === filters && stride === 1) {
    return tf.layers.add({ name: `${prefix}add` }).apply([input, x]) as tf.SymbolicTensor;
  }
  return x;
}

/**
 * Keras' `correct_pad` for a 3×3 stride-2 conv: one pixel on each side, one fewer at the top/left of an
 * even-sized axis (TensorFlow's 'same' would put the extra pixel at the bottom/right instead).
 */
function correctPad(x: tf.SymbolicTensor): [[number, number], [number, number]] {
  const [, height, width] = x.shape;
  const before = (size: number | null | undefined): number => ((size ?? 1) % 2 === 0 ? 0 : 1);
  return [
    [before(height), 1],
    [before(width), 1],
  ];
}
