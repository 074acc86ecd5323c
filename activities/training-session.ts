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
import { timePhase } from './interval-phases';

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
  const checkpoint = await timePhase('loadCheckpoint', () => checkpoints.loadCheckpoint(key));
  const { model, optimizer } = await timePhase('buildModel', async () => {
    const built = await modelFromArtifacts(checkpoint.model);
    const sgd = createOptimizer(config.optimizer);
    // The slave takes the donor's whole checkpoint: weights, batch-norm statistics and optimizer slots.
    if (checkpoint.optimizer !== null) await restoreOptimizerState(sgd, built, checkpoint.optimizer);
    return { model: built, optimizer: sgd };
  });
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
  await timePhase('save', async () =>
    checkpoints.saveCheckpoint(key, {
      model: await captureModelArtifacts(session.model),
      optimizer: await captureOptimizerState(session.optimizer, session.model),
      step,
      meta,
    }),
  );
}
