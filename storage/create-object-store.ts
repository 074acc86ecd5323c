import { StoreConfigurationError } from './errors';
import { LocalObjectStore } from './local-object-store';
import { MinioObjectStore } from './minio-object-store';
import type { MinioStoreOptions, MinioStoreSettings } from './minio-object-store';
import type { ObjectStore } from './object-store';

export interface ObjectStoreConfig extends MinioStoreOptions {
  /** MinIO / S3 settings (`loadEnvironment().minio`); used whenever an endpoint is set. */
  minio?: MinioStoreSettings;
  /** A local directory to store objects in when no MinIO endpoint is configured. */
  localDir?: string;
}

/** The store a process should use: MinIO when an endpoint is configured, else the local directory. */
export function createObjectStore(config: ObjectStoreConfig): ObjectStore {
  const { minio, localDir, ...options } = config;
  if (minio !== undefined && minio.endPoint.trim() !== '') return new MinioObjectStore(minio, options);
  if (localDir !== undefined && localDir.trim() !== '') {
    return new LocalObjectStore(localDir, { bucket: minio?.bucket });
  }
  throw new StoreConfigurationError(
    'no object store configured: set MINIO_ENDPOINT (e.g. http://127.0.0.1:9000) or pass a local directory',
  );
}
