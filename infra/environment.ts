import { homedir } from 'node:os';
import { join } from 'node:path';
import type { MinioStoreSettings } from '../storage/minio-object-store';
import { loadMinioSettings } from './minio-settings';
import { describeTemporalSettings, loadTemporalSettings, type TemporalSettings } from './temporal-settings';

export { EnvironmentError } from './environment-error';

/** Where the project keeps built server binaries, server data and dataset caches (outside the repo). */
export interface Environment {
  /** Loaded by @temporalio/envconfig (TEMPORAL_* variables and TOML profiles): see temporal-settings.ts. */
  temporal: TemporalSettings;
  /** The MINIO_* variables (minio-settings.ts); never print `secretKey`: `describeEnvironment` redacts it. */
  minio: MinioStoreSettings;
  cacheDir: string;
  /** AMTO_STORE_DIR: keep checkpoints and run state in this directory instead of MinIO (one machine only). */
  localStoreDir: string | null;
}

/** Reads the configuration from environment variables, falling back to the local setup's defaults. */
export function loadEnvironment(env: NodeJS.ProcessEnv = process.env): Environment {
  return {
    temporal: loadTemporalSettings(env),
    minio: loadMinioSettings(env),
    cacheDir:
      env.AMTO_CACHE_DIR && env.AMTO_CACHE_DIR !== ''
        ? env.AMTO_CACHE_DIR
        : join(homedir(), '.cache', 'amto'),
    localStoreDir: env.AMTO_STORE_DIR && env.AMTO_STORE_DIR !== '' ? env.AMTO_STORE_DIR : null,
  };
}

/** A printable view of the configuration: the secret key is never shown. */
export function describeEnvironment(environment: Environment): Record<string, string> {
  const { minio, temporal } = environment;
  return {
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: temporal.namespace,
    TEMPORAL_UI_URL: temporal.uiUrl,
    TEMPORAL_CONNECTION: `${describeTemporalSettings(temporal)} (from ${temporal.source})`,
    MINIO_ENDPOINT: `${minio.useSSL ? 'https' : 'http'}://${minio.endPoint}:${minio.port}`,
    MINIO_ACCESS_KEY: minio.accessKey,
    MINIO_SECRET_KEY: '(set, hidden)',
    MINIO_BUCKET: minio.bucket,
    MINIO_CA_FILE: minio.caCert === undefined ? '(unset: system CAs)' : '(set: own CA)',
    AMTO_CACHE_DIR: environment.cacheDir,
    AMTO_STORE_DIR: environment.localStoreDir ?? '(unset: checkpoints in MinIO)',
  };
}
