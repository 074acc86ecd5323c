import * as tf from '@tensorflow/tfjs';
import type { RunConfig } from '../amto';
import {
  captureModelArtifacts,
  captureOptimizerState,
  createOptimizer,
  modelFromArtifacts,
  restoreOptimizerState,
  type OptimizerState,
} from '../ml/training';
import type { CheckpointStore, TrainingCheckpoint } from '../storage/checkpoint-store';
import { timePhase } from './interval-phases';
import type { ResidentModels, ResidentSession } from './resident-models';

/** A model and its optimizer loaded from a checkpoint onto the device, disposed together. */
export interface TrainingSession extends ResidentSession {
  /** True when the session was the worker's resident copy of the checkpoint (nothing downloaded). */
  resident: boolean;
  /**
   * Settles when the checkpoint in the store is known to be whole: at once for a loaded one; for a
   * resident one, once its files were read back and checked in the background (a corrupt durable copy
   * still fails the interval, as it would have on load).
   */
  verified: Promise<void>;
  dispose(): void;
}

function sameOptimizer(optimizer: tf.MomentumOptimizer, config: RunConfig): boolean {
  const current = optimizer.getConfig();
  return (
    current['momentum'] === config.optimizer.momentum && current['useNesterov'] === config.optimizer.nesterov
  );
}

/**
 * The checkpoint under `key` as a training session. With `resident`, a session this worker kept from
 * the interval that saved exactly this checkpoint (same manifest sha256 in the store now) is taken as
 * is; otherwise the checkpoint is downloaded and its weights go into an idle model of the same
 * architecture, or into a newly built one.
 */
export async function openSession(
  checkpoints: CheckpointStore,
  key: string,
  config: RunConfig,
  resident?: ResidentModels,
): Promise<TrainingSession> {
  if (resident !== undefined && resident.limits.maxSessions > 0) {
    const digest = await timePhase('loadCheckpoint', () => checkpoints.checkpointDigest(key));
    const kept = digest === undefined ? undefined : resident.take(key, digest);
    if (kept !== undefined && digest !== undefined) {
      if (sameOptimizer(kept.optimizer, config)) {
        const verified = checkpoints.verifyCheckpoint(key, digest);
        // Awaited by the interval before it saves; this only keeps an early failure from going unhandled.
        verified.catch(() => undefined);
        return session(kept, true, verified, resident);
      }
      resident.release(kept);
    }
  }
  const checkpoint = await timePhase('loadCheckpoint', () => checkpoints.loadCheckpoint(key));
  const built = await timePhase('buildModel', async () => {
    const architecture = JSON.stringify(checkpoint.model.modelTopology);
    const idle = resident?.takeIdle(architecture);
    let model: tf.LayersModel;
    if (idle === undefined) model = await modelFromArtifacts(checkpoint.model);
    else {
      model = idle;
      const weights = tf.io.decodeWeights(
        checkpoint.model.weightData ?? new ArrayBuffer(0),
        checkpoint.model.weightSpecs ?? [],
      );
      try {
        // Every weight by name, batch-norm statistics included (strict: none left from the last use).
        model.loadWeights(weights, true);
      } finally {
        tf.dispose(Object.values(weights));
      }
    }
    const optimizer = createOptimizer(config.optimizer);
    // The slave takes the donor's whole checkpoint: weights, batch-norm statistics and optimizer slots.
    if (checkpoint.optimizer !== null) await restoreOptimizerState(optimizer, model, checkpoint.optimizer);
    return { model, optimizer, architecture };
  });
  return session({ ...built, step: checkpoint.step }, false, Promise.resolve(), resident);
}

function session(
  state: ResidentSession,
  resident: boolean,
  verified: Promise<void>,
  models: ResidentModels | undefined,
): TrainingSession {
  return {
    ...state,
    resident,
    verified,
    dispose() {
      if (models !== undefined) models.release(state);
      else {
        state.optimizer.dispose();
        state.model.dispose();
      }
    },
  };
}

/** A session's state read out at one moment (training on afterwards does not change it). */
export interface CapturedSession {
  model: tf.io.ModelArtifacts;
  optimizer: OptimizerState;
  /** Weights + optimizer slots, the memory a resident copy of the session holds. */
  bytes: number;
}

export async function captureSession(
  session: Pick<TrainingSession, 'model' | 'optimizer'>,
): Promise<CapturedSession> {
  const model = await captureModelArtifacts(session.model);
  const optimizer = await captureOptimizerState(session.optimizer, session.model);
  // Summed over the buffers as they are: joining them would copy every weight just to count bytes.
  const weightBytes = ([] as ArrayBuffer[])
    .concat(model.weightData ?? [])
    .reduce((sum, buffer) => sum + buffer.byteLength, 0);
  return { model, optimizer, bytes: weightBytes + optimizer.weights.data.byteLength };
}

/** Uploads a captured session as checkpoint `key`; resolves once it is durable, with its manifest digest. */
export async function uploadSession(
  checkpoints: CheckpointStore,
  key: string,
  captured: CapturedSession,
  step: number,
  meta: TrainingCheckpoint['meta'] | Promise<TrainingCheckpoint['meta']>,
): Promise<{ digest: string }> {
  return checkpoints.saveCheckpoint(key, {
    model: captured.model,
    optimizer: captured.optimizer,
    step,
    meta,
  });
}

/** Captures and uploads in one go (a caller with nothing to overlap). */
export async function saveSession(
  checkpoints: CheckpointStore,
  key: string,
  session: Pick<TrainingSession, 'model' | 'optimizer'>,
  step: number,
  meta: TrainingCheckpoint['meta'],
): Promise<void> {
  await timePhase('save', async () =>
    uploadSession(checkpoints, key, await captureSession(session), step, meta),
  );
}
