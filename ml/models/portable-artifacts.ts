import type * as tf from '@tensorflow/tfjs';
import { StepSeededDropout } from './step-seeded-dropout';

/**
 * The model's artifacts with every amto-only layer class replaced by the stock tfjs layer that computes
 * the same at inference, so plain `tf.loadLayersModel` loads an exported model with nothing registered:
 * StepSeededDropout (seeded per training step) becomes Dropout of the same rate, an identity outside
 * training. Weights are untouched (neither layer has any).
 */
export function portableArtifacts(artifacts: tf.io.ModelArtifacts): tf.io.ModelArtifacts {
  if (artifacts.modelTopology === undefined || artifacts.modelTopology instanceof ArrayBuffer)
    return artifacts;
  return {
    ...artifacts,
    modelTopology: replaceLayers(artifacts.modelTopology) as tf.io.ModelArtifacts['modelTopology'],
  };
}

function replaceLayers(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(replaceLayers);
  if (typeof node !== 'object' || node === null) return node;
  const object = node as Record<string, unknown>;
  if (object['class_name'] === StepSeededDropout.className) {
    return { ...object, class_name: 'Dropout' };
  }
  return Object.fromEntries(Object.entries(object).map(([key, value]) => [key, replaceLayers(value)]));
}
