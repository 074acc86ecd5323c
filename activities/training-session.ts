import * as tf from '@tensorflow/tfjs';
import type { RunConfig } from '../amto';
import {
  captureModelArtifacts,
  captureOptimizerState,
  createOptimizer,
  modelFromArtifacts,
  restoreOptimizerState,
} from '../ml/training';
import type { CheckpointStore, TrainingCheckpoint } from '../storage/checkpoint-store';

/** A model and its optimizer loaded from a checkpoint onto the device, disposed together. */
export interface TrainingSession {
  model: tf.LayersModel;
  optimizer: tf.MomentumOptimizer;
  step: number;
  dispose(): void;
}

export async function openSession(
  checkpoints: CheckpointStore,
  key: string,
  config: RunConfig,
): Promise<TrainingSession> {
  const checkpoint = await checkpoints.loadCheckpoint(key);
  const model = await modelFromArtifacts(checkpoint.model);
  const optimizer = createOptimizer(config.optimizer);
  // The slave takes the donor's whole checkpoint: weights, batch-norm statistics and optimizer slots.
  if (checkpoint.optimizer !== null) await restoreOptimizerState(optimizer, model, checkpoint.optimizer);
  return {
    model,
    optimizer,
    step: checkpoint.step,
    dispose() {
      optimizer.dispose();
      model.dispose();
    },
  };
}

export async function saveSession(
  checkpoints: CheckpointStore,
  key: string,
  session: Pick<TrainingSession, 'model' | 'optimizer'>,
  step: number,
  meta: TrainingCheckpoint['meta'],
): Promise<void> {
  await checkpoints.saveCheckpoint(key, {
    model: await captureModelArtifacts(session.model),
    optimizer: await captureOptimizerState(session.optimizer, session.model),
    step,
    meta,
  });
}
