import type { io } from '@tensorflow/tfjs';
import { z } from 'zod';

import { InvalidDocumentError, integer, parseDocument } from '../amto';
// The state ml/training captures and restores; storage only persists it (a type, erased at runtime).
import type { OptimizerState } from '../ml/training/training-state';
import { StorageError } from './errors';
import { assertObjectKey } from './keys';
import {
  corruptCheckpointAt,
  fileKey,
  manifestDigest,
  manifestFileName,
  readListedFile,
  requireCompleteManifest,
  writeManifestedFiles,
} from './manifest';
import {
  decodeModelArtifacts,
  encodeModelArtifacts,
  modelJsonFileName,
  modelWeightsFileName,
  toArrayBuffer,
} from './model-artifacts-codec';
import type { ObjectStore } from './object-store';

export { CheckpointNotFoundError, CorruptCheckpointError } from './errors';

const count = integer(0);

/** What a checkpoint's manifest.json carries besides the file digests. */
const checkpointAttributesSchema = z.object({
  step: count,
  meta: z.record(z.string(), z.unknown(), 'must be an object'),
});

/** optimizer.json: the optimizer's step count and tfjs's specs of the slots in optimizer.bin. */
const optimizerHeaderSchema = z.object({
  iterations: count,
  specs: z.array(
    z.looseObject({
      name: z.string('must be a weight name'),
      shape: z.array(count, 'must be a list of dimensions'),
      dtype: z.enum(['float32', 'int32', 'bool', 'string', 'complex64'], 'must be a tfjs dtype'),
    }),
    'must be a list of weight specs',
  ),
});

/** Parses one of a checkpoint's JSON documents, reporting a bad field as a corrupt checkpoint. */
function parseCheckpointDocument<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  where: string,
  corrupt: (key: string, reason: string) => Error,
): z.output<Schema> {
  try {
    return parseDocument(schema, value, where);
  } catch (error) {
    if (error instanceof InvalidDocumentError) throw corrupt(where, error.problems.join('; '));
    throw error;
  }
}

/** Everything needed to continue training a task exactly where it stopped. */
export interface TrainingCheckpoint {
  /** Topology + weight specs + weight data (batch-norm statistics included). */
  model: io.ModelArtifacts;
  optimizer: OptimizerState | null;
  /** The task's global iteration count (the learning-rate schedule follows it). */
  step: number;
  /** e.g. run, round, task, role, donor, losses; must be JSON. */
  meta: Record<string, unknown>;
}

export const checkpointKind = 'checkpoint';
const optimizerJsonFileName = 'optimizer.json';
const optimizerWeightsFileName = 'optimizer.bin';

/**
 * Checkpoints under a key prefix: `model.json`, `weights.bin`, `optimizer.json` + `optimizer.bin`
 * (when there is optimizer state) and, written last, `manifest.json` with every file's sha256 and size
 * plus the step and meta. Loads verify every file against the manifest.
 *
 * Keys are write-once by convention (keys.ts): saving the same key again is what a retried activity
 * does. Identical content is simply rewritten; different content replaces the old checkpoint (its
 * manifest is removed first, so no reader ever loads a mix), because the retry's result is the
 * authoritative one.
 */
export class CheckpointStore {
  constructor(readonly store: ObjectStore) {}

  /**
   * Saves a checkpoint; returns its key, the bytes written (manifest included) and the manifest's
   * sha256 (checkpointDigest). `meta` may still be pending: the files upload meanwhile, the manifest waits.
   */
  async saveCheckpoint(
    key: string,
    checkpoint: Omit<TrainingCheckpoint, 'meta'> & {
      meta: TrainingCheckpoint['meta'] | Promise<TrainingCheckpoint['meta']>;
    },
  ): Promise<{ key: string; bytes: number; digest: string }> {
    assertObjectKey(key);
    const what = `checkpoint "${key}"`;
    if (!Number.isSafeInteger(checkpoint.step) || checkpoint.step < 0) {
      throw new StorageError(`${what}: step must be a whole number >= 0 (got ${String(checkpoint.step)})`);
    }
    const files = encodeModelArtifacts(checkpoint.model, what);
    if (checkpoint.optimizer !== null) {
      const { iterations, weights } = checkpoint.optimizer;
      if (!Number.isSafeInteger(iterations) || iterations < 0) {
        throw new StorageError(
          `${what}: optimizer.iterations must be a whole number >= 0 (got ${String(iterations)})`,
        );
      }
      files[optimizerJsonFileName] = Buffer.from(JSON.stringify({ iterations, specs: weights.specs }));
      files[optimizerWeightsFileName] = new Uint8Array(weights.data);
    }
    const step = checkpoint.step;
    const attributes = Promise.resolve(checkpoint.meta).then((meta) => ({
      step,
      meta: jsonCopy(meta, `${what}: meta`),
    }));
    const { bytes, digest } = await writeManifestedFiles(this.store, key, checkpointKind, files, attributes);
    return { key, bytes, digest };
  }

  /** The sha256 of the checkpoint's manifest: one exact version of `key` (undefined: none complete). */
  async checkpointDigest(key: string): Promise<string | undefined> {
    assertObjectKey(key);
    return manifestDigest(this.store, key);
  }

  /**
   * Reads every file of the checkpoint and checks it against its manifest, which must still have
   * `digest`; throws CorruptCheckpointError (or CheckpointNotFoundError) like loadCheckpoint, decodes nothing.
   */
  async verifyCheckpoint(key: string, digest: string): Promise<void> {
    assertObjectKey(key);
    const corrupt = corruptCheckpointAt(key);
    const manifest = await requireCompleteManifest(this.store, key, corrupt);
    const now = await manifestDigest(this.store, key);
    if (now !== digest)
      throw corrupt(key, `its manifest changed while in use (sha256 ${String(now)}, expected ${digest})`);
    await Promise.all(
      Object.keys(manifest.files).map((name) => readListedFile(this.store, key, manifest, name, corrupt)),
    );
  }

  /** Loads and verifies a checkpoint; throws CheckpointNotFoundError or CorruptCheckpointError. */
  async loadCheckpoint(key: string): Promise<TrainingCheckpoint> {
    assertObjectKey(key);
    const corrupt = corruptCheckpointAt(key);
    const manifest = await requireCompleteManifest(this.store, key, corrupt);
    if (manifest.kind !== checkpointKind) {
      throw new StorageError(
        `"${key}" holds a ${manifest.kind}, not a training checkpoint (it has no step or optimizer state)`,
      );
    }
    const read = (name: string): Promise<Uint8Array> =>
      readListedFile(this.store, key, manifest, name, corrupt);
    const [modelJson, weights] = await Promise.all([read(modelJsonFileName), read(modelWeightsFileName)]);
    const model = decodeModelArtifacts(modelJson, weights, key);

    let optimizer: OptimizerState | null = null;
    if (Object.hasOwn(manifest.files, optimizerJsonFileName)) {
      const [header, data] = await Promise.all([read(optimizerJsonFileName), read(optimizerWeightsFileName)]);
      const headerKey = fileKey(key, optimizerJsonFileName);
      let value: unknown;
      try {
        value = JSON.parse(Buffer.from(header).toString('utf8'));
      } catch (error) {
        throw corrupt(headerKey, `not valid JSON (${(error as Error).message})`);
      }
      const parsed = parseCheckpointDocument(optimizerHeaderSchema, value, headerKey, corrupt);
      optimizer = {
        iterations: parsed.iterations,
        weights: { specs: parsed.specs as io.WeightsManifestEntry[], data: toArrayBuffer(data) },
      };
    }
    const { step, meta } = parseCheckpointDocument(
      checkpointAttributesSchema,
      manifest.attributes,
      fileKey(key, manifestFileName),
      corrupt,
    );
    return { model, optimizer, step, meta };
  }

  /** True when a complete checkpoint (one with a manifest) exists under `key`. */
  async checkpointExists(key: string): Promise<boolean> {
    assertObjectKey(key);
    return this.store.exists(fileKey(key, manifestFileName));
  }
}

/** A JSON-only deep copy, so what is stored is exactly what will be read back. */
function jsonCopy(value: Record<string, unknown>, what: string): Record<string, unknown> {
  try {
    return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
  } catch (error) {
    throw new StorageError(`${what} must be plain JSON: ${(error as Error).message}`);
  }
}
