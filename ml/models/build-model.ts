import type * as tf from '@tensorflow/tfjs';
import {
  validateBuildOptions,
  type BuildModelOptions,
  type ModelArch,
  type ValidatedBuildOptions,
} from './build-options';
import { buildDenseNet121, DENSENET121_MIN_INPUT_SIZE } from './densenet121';
import { buildMobileNetV2, MOBILENET_V2_MIN_INPUT_SIZE } from './mobilenet-v2';
import { buildSmallCnn, SMALL_CNN_MIN_INPUT_SIZE } from './small-cnn';
import { buildSqueezeNet11, SQUEEZENET_MIN_INPUT_SIZE } from './squeezenet1-1';

interface Architecture {
  build: (options: ValidatedBuildOptions) => tf.LayersModel;
  minInputSize: number;
}

const ARCHITECTURES: Record<ModelArch, Architecture> = {
  'small-cnn': { build: buildSmallCnn, minInputSize: SMALL_CNN_MIN_INPUT_SIZE },
  squeezenet1_1: { build: buildSqueezeNet11, minInputSize: SQUEEZENET_MIN_INPUT_SIZE },
  mobilenet_v2: { build: buildMobileNetV2, minInputSize: MOBILENET_V2_MIN_INPUT_SIZE },
  densenet121: { build: buildDenseNet121, minInputSize: DENSENET121_MIN_INPUT_SIZE },
};

/** The smallest input height/width `arch` builds at. */
export function minInputSize(arch: ModelArch): number {
  return ARCHITECTURES[arch].minInputSize;
}

/**
 * Builds a freshly initialised model of the zoo. Outputs are logits (no softmax); initialisation is a pure
 * function of the options, so every AMTO task built with one seed starts from identical weights.
 */
export function buildModel(options: BuildModelOptions): tf.LayersModel {
  const validated = validateBuildOptions(options, minInputSize);
  const model = ARCHITECTURES[validated.arch].build(validated);
  // Saved with the model, so weights copied by position later go into the same variant.
  model.setUserDefinedMetadata({ [VARIANT_METADATA_KEY]: validated.variant });
  return model;
}

/** userDefinedMetadata key under which a model records the zoo variant it was built as. */
export const VARIANT_METADATA_KEY = 'amtoVariant';
