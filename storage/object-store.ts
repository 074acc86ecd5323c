/** One stored object as a listing reports it. */
export interface StoredObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
}

/**
 * The small key/value surface checkpoints, run state and datasets are built on. Implemented by
 * MinIO (any S3-compatible store) and by a local directory; both pass the same contract tests.
 * Keys are relative paths with "/" separators (see keys.ts for what is allowed).
 */
export interface ObjectStore {
  /** The bucket that `s3://<bucket>/<key>` URLs for this store name. */
  readonly bucket: string;
  /** Where the store lives, for messages: e.g. `bucket "amto" at http://127.0.0.1:9000`. Never holds a secret. */
  readonly location: string;
  /** Writes (or replaces) an object; readers see the old or the new bytes, never a mix. */
  putObject(key: string, bytes: Uint8Array): Promise<void>;
  /** Reads an object; throws ObjectNotFoundError when it does not exist. */
  getObject(key: string): Promise<Uint8Array>;
  exists(key: string): Promise<boolean>;
  /** Every object whose key starts with `prefix` (recursively), sorted by key. */
  list(prefix: string): Promise<StoredObjectInfo[]>;
  /**
   * The next-level "folders" under `prefix` ('' or ending in "/"), each ending in "/", sorted:
   * list(prefix) without walking everything below, e.g. the run ids under `runs/`.
   */
  listPrefixes(prefix: string): Promise<string[]>;
  /** Deletes objects; keys that do not exist are ignored. */
  delete(keys: readonly string[]): Promise<void>;
}
