/**
 * Errors thrown by storage/. Each `name` is stable so activities can list them as non-retryable
 * Temporal failure types, and each message names the endpoint, bucket or key involved (never a secret).
 */
export class StorageError extends Error {
  override name = 'StorageError';
}

/** A key (or dataset, model) that is not in the store. */
export class ObjectNotFoundError extends StorageError {
  override name = 'ObjectNotFound';
  constructor(
    readonly key: string,
    location: string,
  ) {
    super(`object "${key}" does not exist in ${location}`);
  }
}

/** The endpoint could not be reached, or kept failing with transient errors until retries ran out. */
export class StoreUnavailableError extends StorageError {
  override name = 'StoreUnavailable';
}

/** The store refused the credentials or the operation (wrong keys, missing permission). */
export class StoreAccessError extends StorageError {
  override name = 'StoreAccessDenied';
}

/** The store settings make no sense: nothing configured, a bucket that does not exist, a wrong URL. */
export class StoreConfigurationError extends StorageError {
  override name = 'StoreConfiguration';
}

/** A key, key segment or s3:// URL that is not allowed. */
export class InvalidKeyError extends StorageError {
  override name = 'InvalidKey';
}

/** An object whose bytes do not match its manifest (or a manifest that cannot be read). */
export class CorruptObjectError extends StorageError {
  override name = 'CorruptObject';
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`"${key}" is corrupt: ${reason}`);
  }
}

/** A checkpoint whose objects do not match its manifest: it must never be loaded. */
export class CorruptCheckpointError extends CorruptObjectError {
  override name = 'CorruptCheckpoint';
  constructor(key: string, reason: string) {
    super(key, reason);
    this.message = `checkpoint "${key}" is corrupt: ${reason}`;
  }
}

/** No complete checkpoint (or saved model) under a key: absent, or an upload that never finished. */
export class CheckpointNotFoundError extends StorageError {
  override name = 'CheckpointNotFound';
  constructor(
    readonly key: string,
    location: string,
    readonly incomplete: boolean,
  ) {
    super(
      incomplete
        ? `checkpoint "${key}" in ${location} is incomplete (objects exist but no manifest.json was written, ` +
            'so the upload never finished); it is treated as absent'
        : `checkpoint "${key}" does not exist in ${location}`,
    );
  }
}

/** A run id with no saved run state. */
export class RunNotFoundError extends StorageError {
  override name = 'RunNotFound';
}

/** A dataset that cannot be uploaded or materialized (missing folder, missing files, no manifest). */
export class DatasetError extends StorageError {
  override name = 'DatasetError';
}
