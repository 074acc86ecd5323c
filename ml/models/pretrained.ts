import * as tf from '@tensorflow/tfjs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { importWeights } from '../weights-import/import-weights';
import type { BuildModelOptions, ModelVariant } from './build-options';
import { MODEL_VARIANTS } from './build-options';
import { buildModel, VARIANT_METADATA_KEY } from './build-model';
import { pathOfFileUrl, registerFileRouter } from './file-io-handler';

/** Weight files read straight from a Keras Applications or torchvision download. */
const WEIGHT_FILE_EXTENSIONS = ['.h5', '.keras', '.pth', '.pt', '.safetensors'];

/**
 * Loads pretrained weights into a freshly built zoo model for `options` (its classifier head new, seeded
 * and sized for `options.classes`, unless the pretrained one already has that many classes).
 *
 * `url` is either a Keras (.h5, .keras) or torchvision (.pth, .safetensors) weights file at a file://
 * URL (`file://~/…` is the home directory, where Keras and torch keep their downloads), imported by name
 * (see weights-import/), or a tfjs LayersModel (file://, or any scheme with a registered router, e.g. one
 * `amto import-weights` wrote), whose weights are matched by position: the zoo builds layers in one
 * order, and the model records the variant it was built as. The input size may differ from the
 * pretrained one: convolution weights do not depend on it.
 */
export async function loadPretrained(url: string, options: BuildModelOptions): Promise<tf.LayersModel> {
  if (WEIGHT_FILE_EXTENSIONS.some((extension) => url.toLowerCase().endsWith(extension))) {
    if (!url.startsWith('file://')) {
      throw new Error(
        `Pretrained weights file ${url}: weight files are read from file:// URLs; copy it to the workers, ` +
          'or convert it once with `amto import-weights <file> --arch … --out s3://…` and use that URL',
      );
    }
    const { model } = await importWeights(weightFilePath(url), {
      arch: options.arch,
      widthMultiplier: options.widthMultiplier,
      inputShape: [...options.inputShape],
      classes: options.classes,
      seed: options.seed,
    });
    return model;
  }
  return loadPretrainedLayersModel(url, options);
}

function weightFilePath(url: string): string {
  return url.startsWith('file://~/') ? join(homedir(), url.slice('file://~/'.length)) : pathOfFileUrl(url);
}

async function loadPretrainedLayersModel(url: string, options: BuildModelOptions): Promise<tf.LayersModel> {
  registerFileRouter();
  let source: tf.LayersModel | undefined;
  let model: tf.LayersModel | undefined;
  try {
    source = await tf.loadLayersModel(url).catch((error: Error) => {
      throw new Error(`Cannot load pretrained model from ${url}: ${error.message}`);
    });
    model = buildModel({ ...options, variant: options.variant ?? recordedVariant(source) });
    const target = bodyWeights(model);
    const pretrained = bodyWeights(source);
    if (pretrained.length !== target.length) {
      throw new Error(
        `Pretrained model at ${url} does not match ${options.arch}: it has ${pretrained.length} weights before its classifier, ${options.arch} has ${target.length}`,
      );
    }
    target.forEach((weight, i) => {
      const from = pretrained[i] as tf.LayerVariable;
      if (from.shape.join() !== weight.shape.join()) {
        throw new Error(
          `Pretrained model at ${url} does not match ${options.arch} (widthMultiplier ${options.widthMultiplier ?? 1}): weight #${i} ${from.originalName} has shape [${from.shape.join(', ')}], ${weight.originalName} needs [${weight.shape.join(', ')}]`,
        );
      }
      weight.write(from.read());
    });
    return model;
  } catch (error) {
    model?.dispose();
    throw error;
  } finally {
    source?.dispose();
  }
}

function recordedVariant(model: tf.LayersModel): ModelVariant | undefined {
  const metadata = model.getUserDefinedMetadata() as Record<string, unknown> | undefined;
  const variant = metadata?.[VARIANT_METADATA_KEY];
  return (MODEL_VARIANTS as readonly unknown[]).includes(variant) ? (variant as ModelVariant) : undefined;
}

/** All weights except those of the classifier head, the last layer that has weights. */
function bodyWeights(model: tf.LayersModel): tf.LayerVariable[] {
  const head = [...model.layers].reverse().find((layer) => layer.weights.length > 0);
  const headWeights = new Set(head?.weights ?? []);
  return model.weights.filter((weight) => !headWeights.has(weight));
}
