import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where the project keeps built server binaries, server data and dataset caches (outside the repo). */
export interface Environment {
  temporal: { address: string; namespace: string; uiUrl: string };
  minio: {
    endPoint: string;
    port: number;
    useSSL: boolean;
    accessKey: string;
    /** Never print this; `describeEnvironment` redacts it. */
    secretKey: string;
    bucket: string;
    region: string;
  };
  cacheDir: string;
  /** AMTO_STORE_DIR: keep checkpoints and run state in this directory instead of MinIO (one machine only). */
  localStoreDir: string | null;
}

/** The local dev-server defaults, so a fresh clone works with no variables set. */
const defaults = {
  TEMPORAL_ADDRESS: '127.0.0.1:7233',
  TEMPORAL_NAMESPACE: 'default',
  TEMPORAL_UI_URL: 'http://127.0.0.1:8233',
  MINIO_ENDPOINT: 'http://127.0.0.1:9000',
  MINIO_ACCESS_KEY: 'minioadmin',
  MINIO_SECRET_KEY: 'minioadmin',
  MINIO_BUCKET: 'amto',
  MINIO_REGION: 'us-east-1',
} as const;

export class EnvironmentError extends Error {
  override name = 'EnvironmentError';
}

function read(env: NodeJS.ProcessEnv, name: keyof typeof defaults): string {
  const value = env[name];
  return value === undefined || value === '' ? defaults[name] : value;
}

function parseMinioEndpoint(raw: string): { endPoint: string; port: number; useSSL: boolean } {
  const withScheme = /^[a-z]+:\/\//i.test(raw) ? raw : `http://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new EnvironmentError(
      `MINIO_ENDPOINT is not a valid URL (got "${raw}"); use e.g. http://127.0.0.1:9000 or https://s3.example.com`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new EnvironmentError(`MINIO_ENDPOINT must start with http:// or https:// (got "${raw}")`);
  }
  const useSSL = url.protocol === 'https:';
  const port = url.port === '' ? (useSSL ? 443 : 80) : Number(url.port);
  return { endPoint: url.hostname, port, useSSL };
}

/** Reads the configuration from environment variables, falling back to the local setup's defaults. */
export function loadEnvironment(env: NodeJS.ProcessEnv = process.env): Environment {
  const bucket = read(env, 'MINIO_BUCKET');
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new EnvironmentError(
      `MINIO_BUCKET "${bucket}" is not a valid bucket name: use 3-63 lowercase letters, digits, dots or hyphens`,
    );
  }
  return {
    temporal: {
      address: read(env, 'TEMPORAL_ADDRESS'),
      namespace: read(env, 'TEMPORAL_NAMESPACE'),
      uiUrl: read(env, 'TEMPORAL_UI_URL').replace(/\/$/, ''),
    },
    minio: {
      ...parseMinioEndpoint(read(env, 'MINIO_ENDPOINT')),
      accessKey: read(env, 'MINIO_ACCESS_KEY'),
      secretKey: read(env, 'MINIO_SECRET_KEY'),
      bucket,
      region: read(env, 'MINIO_REGION'),
    },
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
    MINIO_ENDPOINT: `${minio.useSSL ? 'https' : 'http'}://${minio.endPoint}:${minio.port}`,
    MINIO_ACCESS_KEY: minio.accessKey,
    MINIO_SECRET_KEY: '(set, hidden)',
    MINIO_BUCKET: minio.bucket,
    AMTO_CACHE_DIR: environment.cacheDir,
    AMTO_STORE_DIR: environment.localStoreDir ?? '(unset: checkpoints in MinIO)',
  };
}
