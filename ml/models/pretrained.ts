import * as tf from '@tensorflow/tfjs';
import type { BuildModelOptions } from './build-options';
import { buildModel } from './build-model';
import { registerFileRouter } from './file-io-handler';

/**
 * Loads pretrained weights (a tfjs LayersModel at `url`: file://, or any scheme with a registered router)
 * into a freshly built zoo model whose classifier head is new, seeded and sized for `options.classes`.
 *
 * Weights are matched by position (the zoo builds layers in Keras Applications' order, so converted
 * Keras models line up), every weight except the head's is copied, and the input size may differ from the
 * pretrained one: convolution weights do not depend on it.
 */
export async function loadPretrained(url: string, options: BuildModelOptions): Promise<tf.LayersModel> {
  registerFileRouter();
  const model = buildModel(options);
  let source: tf.LayersModel | undefined;
  try {
    source = await tf.loadLayersModel(url).catch((error: Error) => {
      throw new Error(`Cannot load pretrained model from ${url}: ${error.message}`);
    });
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
    model.dispose();
    throw error;
  } finally {
    source?.dispose();
  }
}

/** All weights except those of the classifier head, the last layer that has weights. */
function bodyWeights(model: tf.LayersModel): tf.LayerVariable[] {
  const head = [...model.layers].reverse().find((layer) => layer.weights.length > 0);
  const headWeights = new Set(head?.weights ?? []);
  return model.weights.filter((weight) => !headWeights.has(weight));
}
