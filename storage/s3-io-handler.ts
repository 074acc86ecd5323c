import * as tf from '@tensorflow/tfjs';

import { checkpointKind } from './checkpoint-store';
import { StorageError, StoreConfigurationError } from './errors';
import { assertObjectKey } from './keys';
import {
  corruptCheckpointAt,
  readListedFile,
  requireCompleteManifest,
  writeManifestedFiles,
} from './manifest';
import {
  decodeModelArtifacts,
  encodeModelArtifacts,
  modelJsonFileName,
  modelWeightsFileName,
} from './model-artifacts-codec';
import type { ObjectStore } from './object-store';
import { parseObjectUrl } from './object-url';

const s3UrlScheme = 's3://';
const savedModelKind = 'tfjs-model';
/** Manifest kinds a model can be loaded from: a saved model, or the model part of a training checkpoint. */
const loadableKinds = new Set([savedModelKind, checkpointKind]);

/**
 * A tfjs IOHandler that saves a model under a key prefix as `model.json` + `weights.bin` + (last)
 * `manifest.json`, and loads it back verifying every sha256, the same guarantees as checkpoints.
 */
export class S3IOHandler implements tf.io.IOHandler {
  constructor(
    private readonly store: ObjectStore,
    /** The model's key prefix, e.g. `runs/x/export` (files go to `<key>/model.json`, ...). */
    readonly key: string,
  ) {
    assertObjectKey(key);
  }

  async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
    const files = encodeModelArtifacts(artifacts, `model "${this.key}"`);
    await writeManifestedFiles(this.store, this.key, savedModelKind, files, {});
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
  }

  async load(): Promise<tf.io.ModelArtifacts> {
    const corrupt = corruptCheckpointAt(this.key);
    const manifest = await requireCompleteManifest(this.store, this.key, corrupt);
    if (!loadableKinds.has(manifest.kind)) {
      throw new StorageError(`"${this.key}" holds a ${manifest.kind}, not a tfjs model`);
    }
    const [modelJson, weights] = await Promise.all([
      readListedFile(this.store, this.key, manifest, modelJsonFileName, corrupt),
      readListedFile(this.store, this.key, manifest, modelWeightsFileName, corrupt),
    ]);
    return decodeModelArtifacts(modelJson, weights, this.key);
  }
}

const storesByBucket = new Map<string, ObjectStore>();
let routersRegistered = false;

/** The handler for an `s3://bucket/key` or `s3://bucket/key/model.json` URL; null for other URLs. */
function routeS3Url(url: string | string[]): tf.io.IOHandler | null {
  if (typeof url !== 'string' || !url.startsWith(s3UrlScheme)) return null;
  const { bucket, key } = parseObjectUrl(url);
  const store = storesByBucket.get(bucket);
  if (store === undefined) {
    const known = [...storesByBucket.keys()].map((name) => `"${name}"`).join(', ');
    throw new StoreConfigurationError(
      `no object store is registered for bucket "${bucket}" (URL ${url}); registered: ${known || 'none'}. ` +
        'Call registerS3Router(store) with a store for that bucket first',
    );
  }
  const modelKey = key.endsWith(`/${modelJsonFileName}`) ? key.slice(0, -modelJsonFileName.length - 1) : key;
  return new S3IOHandler(store, modelKey);
}

/**
 * Makes `model.save('s3://<bucket>/<key>')` and `tf.loadLayersModel('s3://<bucket>/<key>/model.json')`
 * use `store` for its bucket. The tfjs routers are registered once per process (registering twice
 * would make tfjs refuse with "more than one handler"); calling again for the same bucket swaps the store.
 */
export function registerS3Router(store: ObjectStore): void {
  storesByBucket.set(store.bucket, store);
  if (routersRegistered) return;
  // tfjs's router type omits null, which its registry documents and treats as "not my URL".
  const router = routeS3Url as (url: string | string[]) => tf.io.IOHandler;
  tf.io.registerSaveRouter(router);
  tf.io.registerLoadRouter(router);
  routersRegistered = true;
}
