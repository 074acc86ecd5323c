import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import type { MinioStoreSettings } from '../storage/minio-object-store';
import { EnvironmentError } from './environment-error';

/** MinIO's well-known default root credentials: fine on this machine, a door left open anywhere else. */
const defaultCredential = 'minioadmin';
export const ALLOW_DEFAULT_CREDENTIALS_VARIABLE = 'MINIO_ALLOW_DEFAULT_CREDENTIALS';

/**
 * The MINIO_* variables, the one contract for reaching the object store (storage/ never reads the
 * environment). Empty values count as unset; defaults are the local setup's.
 */
const minioVariables = z.object({
  MINIO_ENDPOINT: z.string().default('http://127.0.0.1:9000'),
  MINIO_ACCESS_KEY: z.string().default(defaultCredential),
  MINIO_SECRET_KEY: z.string().default(defaultCredential),
  MINIO_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'use 3-63 lowercase letters, digits, dots or hyphens')
    .default('amto'),
  MINIO_REGION: z.string().default('us-east-1'),
  /** PEM file of the CA that issued an https endpoint's certificate, when the system does not trust it. */
  MINIO_CA_FILE: z.string().optional(),
  [ALLOW_DEFAULT_CREDENTIALS_VARIABLE]: z.enum(['0', '1', 'true', 'false']).optional(),
});

function parseEndpoint(raw: string): { endPoint: string; port: number; useSSL: boolean } {
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
  return { endPoint: url.hostname.replace(/^\[(.*)\]$/, '$1'), port, useSSL };
}

/** This machine: loopback, or the any-address a server on this machine listens on. */
function isThisMachine(host: string): boolean {
  if (host === 'localhost' || host === '0.0.0.0' || host === '::' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

function readCaFile(path: string): string {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    throw new EnvironmentError(
      `MINIO_CA_FILE "${path}" cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}): ` +
        'point it at the PEM file of the CA that issued the MinIO server certificate',
    );
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new EnvironmentError(
      `MINIO_CA_FILE "${path}" holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
    );
  }
  return pem;
}

/** Reads and checks the MINIO_* variables; each problem names its variable and what to do. */
export function loadMinioSettings(env: NodeJS.ProcessEnv): MinioStoreSettings {
  const set = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = minioVariables.safeParse(set);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'MINIO_*');
    throw new EnvironmentError(
      `${name} "${String(set[name] ?? '')}" is not valid: ${issue?.message ?? 'invalid'}`,
    );
  }
  const variables = parsed.data;
  const endpoint = parseEndpoint(variables.MINIO_ENDPOINT);
  const allowDefault = ['1', 'true'].includes(variables[ALLOW_DEFAULT_CREDENTIALS_VARIABLE] ?? '');
  if (
    variables.MINIO_ACCESS_KEY === defaultCredential &&
    variables.MINIO_SECRET_KEY === defaultCredential &&
    !isThisMachine(endpoint.endPoint) &&
    !allowDefault
  ) {
    throw new EnvironmentError(
      `MINIO_ENDPOINT ${variables.MINIO_ENDPOINT} is not on this machine, and the credentials are MinIO's ` +
        `well-known default (${defaultCredential}), which anyone can guess: set MINIO_ACCESS_KEY and ` +
        `MINIO_SECRET_KEY to a user limited to bucket "${variables.MINIO_BUCKET}" (docs/security.md), or set ` +
        `${ALLOW_DEFAULT_CREDENTIALS_VARIABLE}=1 to use the default anyway`,
    );
  }
  if (variables.MINIO_CA_FILE !== undefined && !endpoint.useSSL) {
    throw new EnvironmentError(
      `MINIO_CA_FILE is set but MINIO_ENDPOINT ${variables.MINIO_ENDPOINT} is plain http: use https:// (or unset MINIO_CA_FILE)`,
    );
  }
  return {
    ...endpoint,
    accessKey: variables.MINIO_ACCESS_KEY,
    secretKey: variables.MINIO_SECRET_KEY,
    bucket: variables.MINIO_BUCKET,
    region: variables.MINIO_REGION,
    ...(variables.MINIO_CA_FILE === undefined ? {} : { caCert: readCaFile(variables.MINIO_CA_FILE) }),
  };
}
