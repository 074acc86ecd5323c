import type * as tf from '@tensorflow/tfjs';
import type { StepEngine } from '../ml/training/step-engine';
import type { CheckpointStore } from '../storage/checkpoint-store';
import type { ObjectStore } from '../storage/object-store';
import type { RunStateStore } from '../storage/run-state-store';
import type { ResidentModels } from './resident-models';

/** What the activities need from the process that hosts them (a worker, or a test). */
export interface ActivityDeps {
  store: ObjectStore;
  checkpoints: CheckpointStore;
  runStates: RunStateStore;
  /** Local cache for datasets fetched from the object store. */
  cacheDir: string;
  /** The engine that trains and validates a model (the graph engine); undefined: tfjs does. */
  stepEngineFor?: (model: tf.LayersModel, optimizer: tf.MomentumOptimizer) => StepEngine | undefined;
  /** Models kept between intervals (resident sessions, idle built models); undefined: every interval loads and builds. */
  resident?: ResidentModels;
}
