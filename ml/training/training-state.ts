import * as tf from '@tensorflow/tfjs';
// Registers the zoo's custom layers, so topologies that contain them deserialise.
import '../models/step-seeded-dropout';

/**
 * Capture and restore of everything a checkpoint holds besides the step counter: the model (topology,
 * weights, batch-norm statistics) and the optimizer's momentum slots.
 *
 * tfjs names a momentum slot after its variable ('conv2d_7/kernel/momentum'), and variable names differ
 * between model instances in one process. Slots are therefore stored and restored by position in the
 * model's trainable-weight order (the order trainSteps passes variables to the optimizer), so a
 * checkpoint restores into any freshly built or loaded model of the same architecture.
 */

export interface OptimizerState {
  /** The optimizer's step count. */
  iterations: number;
  /** One momentum slot per trainable weight, in trainable-weight order (none before the first step). */
  weights: { specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer };
}

/** The model's artifacts (topology and all weights, in one buffer), without writing anywhere. */
export async function captureModelArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  if (captured === undefined) {
    throw new Error('captureModelArtifacts: the model produced no artifacts');
  }
  const { weightData } = captured;
  return weightData === undefined
    ? captured
    : { ...captured, weightData: tf.io.CompositeArrayBuffer.join(weightData) };
}

/** A new model from captured artifacts. */
export async function modelFromArtifacts(artifacts: tf.io.ModelArtifacts): Promise<tf.LayersModel> {
  return tf.loadLayersModel(tf.io.fromMemory(artifacts));
}

function slotName(weight: tf.LayerVariable): string {
  return `${weight.name}/momentum`;
}

export async function captureOptimizerState(
  optimizer: tf.MomentumOptimizer,
  model: tf.LayersModel,
): Promise<OptimizerState> {
  const [iterationsEntry, ...slots] = await optimizer.getWeights();
  // getWeights returns the live slot variables (not to be disposed) and a fresh iterations scalar.
  iterationsEntry?.tensor.dispose();
  const trainable = model.trainableWeights;
  if (slots.length !== 0 && slots.length !== trainable.length) {
    throw new Error(
      `captureOptimizerState: the optimizer has ${slots.length} momentum slots but the model has ${trainable.length} trainable weights; it was used with another model`,
    );
  }
  const entries = slots.map((slot, i) => {
    const weight = trainable[i] as tf.LayerVariable;
    if (slot.name !== slotName(weight)) {
      throw new Error(
        `captureOptimizerState: momentum slot #${i} is ${slot.name} but the model's trainable weight #${i} is ${weight.name}; capture with the model the optimizer trained`,
      );
    }
    return { name: `${i}:${weight.originalName}/momentum`, tensor: slot.tensor };
  });
  const { data, specs } = await tf.io.encodeWeights(entries);
  return { iterations: optimizer.iterations, weights: { specs, data } };
}

export async function restoreOptimizerState(
  optimizer: tf.MomentumOptimizer,
  model: tf.LayersModel,
  state: OptimizerState,
): Promise<void> {
  const { iterations, weights } = state;
  if (!Number.isSafeInteger(iterations) || iterations < 0) {
    throw new Error(
      `restoreOptimizerState: iterations must be a non-negative integer; got ${JSON.stringify(iterations)}`,
    );
  }
  const trainable = model.trainableWeights;
  if (weights.specs.length !== 0 && weights.specs.length !== trainable.length) {
    throw new Error(
      `restoreOptimizerState: the state has ${weights.specs.length} momentum slots but the model has ${trainable.length} trainable weights; it belongs to another architecture`,
    );
  }
  const decoded = tf.io.decodeWeights(weights.data, weights.specs);
  const iterationsTensor = tf.scalar(iterations, 'int32');
  const previous = await optimizer.getWeights();
  try {
    const slots = weights.specs.map((spec, i) => {
      const weight = trainable[i] as tf.LayerVariable;
      const tensor = decoded[spec.name] as tf.Tensor;
      if (tensor.shape.join() !== weight.shape.join()) {
        throw new Error(
          `restoreOptimizerState: slot #${i} (${spec.name}) has shape [${tensor.shape.join(', ')}] but trainable weight #${i} (${weight.originalName}) has [${weight.shape.join(', ')}]`,
        );
      }
      return { name: slotName(weight), tensor };
    });
    await optimizer.setWeights([{ name: 'iter', tensor: iterationsTensor }, ...slots]);
  } catch (error) {
    tf.dispose(previous.slice(0, 1).map((entry) => entry.tensor));
    throw error;
  } finally {
    tf.dispose([iterationsTensor, ...Object.values(decoded)]);
  }
  // The optimizer now holds new slot variables (sharing the decoded data); release the replaced ones.
  tf.dispose(previous.map((entry) => entry.tensor));
}
