import * as tf from '@tensorflow/tfjs';

import { buildModel } from '../../../ml/models';
import type { ModelArch } from '../../../ml/models';
import { captureModelArtifacts, captureOptimizerState, createOptimizer } from '../../../ml/training';
import type { TrainingCheckpoint } from '../../../storage/checkpoint-store';
import { joinWeightData } from '../../../storage/model-artifacts-codec';

/** Small inputs keep the zoo models cheap while exercising every layer type they contain. */
export const testInputShape = [32, 32, 3] as const;
export const testClasses = 5;

export interface CheckpointFixture {
  model: tf.LayersModel;
  checkpoint: TrainingCheckpoint;
  dispose: () => void;
}

/**
 * A real checkpoint: a zoo model plus a Nesterov-momentum optimizer after one update. The update uses
 * seeded random gradients instead of a backward pass (slow on the CPU backend); it still changes the
 * weights and creates every momentum slot exactly as training does.
 */
export async function makeCheckpoint(
  arch: ModelArch,
  seed: number,
  withOptimizer = true,
): Promise<CheckpointFixture> {
  await tf.setBackend('cpu');
  const model = buildModel({ arch, inputShape: testInputShape, classes: testClasses, seed });
  const optimizer = createOptimizer({ learningRate: 0.01, momentum: 0.9, nesterov: true });
  if (withOptimizer) {
    tf.tidy(() =>
      optimizer.applyGradients(
        model.trainableWeights.map((weight, index) => ({
          name: weight.name,
          tensor: tf.randomNormal(weight.shape as number[], 0, 0.05, 'float32', seed * 1000 + index),
        })),
      ),
    );
  }
  const checkpoint: TrainingCheckpoint = {
    model: await captureModelArtifacts(model),
    optimizer: withOptimizer ? await captureOptimizerState(optimizer, model) : null,
    step: withOptimizer ? 1 : 0,
    meta: { arch, seed, role: withOptimizer ? 'master' : 'init', losses: { train: 1.25, validation: 1.5 } },
  };
  return {
    model,
    checkpoint,
    dispose: () => {
      model.dispose();
      optimizer.dispose();
    },
  };
}

/** How two checkpoints differ: weights and optimizer slots byte for byte, other fields by value (empty when identical). */
export function checkpointDifferences(expected: TrainingCheckpoint, actual: TrainingCheckpoint): string[] {
  const problems: string[] = [];
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  const bytes = (data: tf.io.WeightData | undefined): Buffer => Buffer.from(joinWeightData(data));
  if (!same(expected.model.modelTopology, actual.model.modelTopology)) {
    problems.push('model topology differs');
  }
  if (!same(expected.model.weightSpecs, actual.model.weightSpecs)) problems.push('weight specs differ');
  if (!bytes(expected.model.weightData).equals(bytes(actual.model.weightData))) {
    problems.push('weight bytes differ');
  }
  for (const field of [
    'format',
    'generatedBy',
    'convertedBy',
    'trainingConfig',
    'userDefinedMetadata',
  ] as const) {
    if (!same(expected.model[field], actual.model[field])) problems.push(`model.${field} differs`);
  }
  if ((expected.optimizer === null) !== (actual.optimizer === null)) {
    problems.push('optimizer presence differs');
  }
  if (expected.optimizer !== null && actual.optimizer !== null) {
    if (expected.optimizer.iterations !== actual.optimizer.iterations) {
      problems.push('optimizer iterations differ');
    }
    if (!same(expected.optimizer.weights.specs, actual.optimizer.weights.specs)) {
      problems.push('slot specs differ');
    }
    if (!bytes(expected.optimizer.weights.data).equals(bytes(actual.optimizer.weights.data))) {
      problems.push('slot bytes differ');
    }
  }
  if (expected.step !== actual.step) problems.push('step differs');
  if (!same(expected.meta, actual.meta)) problems.push('meta differs');
  return problems;
}
