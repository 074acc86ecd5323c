import { join } from 'node:path';
import type { ActivityDeps } from '../activities/activity-deps';
import { ResidentModels } from '../activities/resident-models';
import type { EngineSelection } from '../ml/graph-engine/select-engine';
import type { Environment } from '../infra/environment';
import { CheckpointStore } from '../storage/checkpoint-store';
import { createObjectStore } from '../storage/create-object-store';
import type { ObjectStore } from '../storage/object-store';
import { RunStateStore } from '../storage/run-state-store';
import { registerS3Router } from '../storage/s3-io-handler';

/** The object store the environment names: a local directory when AMTO_STORE_DIR is set, else MinIO. */
export function objectStoreFor(environment: Environment): ObjectStore {
  return environment.localStoreDir === null
    ? createObjectStore({ minio: environment.minio })
    : createObjectStore({ localDir: environment.localStoreDir, minio: undefined });
}

/** The activities' dependencies from the environment: the configured object store and the local cache. */
export function createActivityDeps(environment: Environment, engine?: EngineSelection): ActivityDeps {
  const store = objectStoreFor(environment);
  // Pretrained weights and exported models can then be named by s3:// URLs in tfjs calls.
  registerS3Router(store);
  return {
    store,
    checkpoints: new CheckpointStore(store),
    runStates: new RunStateStore(store),
    cacheDir: join(environment.cacheDir, 'datasets'),
    stepEngineFor: engine?.stepEngineFor,
    // One per worker process: the models its intervals leave behind (activities/resident-models.ts).
    resident: new ResidentModels(),
  };
}
