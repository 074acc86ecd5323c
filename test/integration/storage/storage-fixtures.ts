import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Client } from 'minio';

import { loadEnvironment } from '../../../infra/environment';
import { LocalObjectStore } from '../../../storage/local-object-store';
import { MinioObjectStore } from '../../../storage/minio-object-store';
import type { MinioStoreOptions, MinioStoreSettings } from '../../../storage/minio-object-store';
import type { ObjectStore } from '../../../storage/object-store';

/** A store for one test file plus how to throw it away. */
export interface DisposableStore {
  store: ObjectStore;
  dispose: () => Promise<void>;
}

/** A bucket name no real data uses: `amto-test-<time>-<random>`. */
export function uniqueBucketName(): string {
  return `amto-test-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** The configured MinIO (loadEnvironment, default 127.0.0.1:9000) with a fresh bucket for this run. */
export function testMinioSettings(): MinioStoreSettings {
  return { ...loadEnvironment().minio, bucket: uniqueBucketName() };
}

/** Deletes every object in the bucket and the bucket itself (no-op when it was never created). */
export async function removeBucket(settings: MinioStoreSettings): Promise<void> {
  const client = new Client(settings);
  if (!(await client.bucketExists(settings.bucket))) return;
  for (;;) {
    const page = await client.listObjectsV2Query(settings.bucket, '', '', '', 1000, '');
    const names = page.objects.flatMap((item) => (item.name === undefined ? [] : [item.name]));
    if (names.length === 0) break;
    await client.removeObjects(settings.bucket, names);
  }
  await client.removeBucket(settings.bucket);
}

/** A MinIO store on a unique bucket; fails clearly when the server is not running. */
export async function createTestMinioStore(options: MinioStoreOptions = {}): Promise<DisposableStore> {
  const settings = testMinioSettings();
  const endpoint = `http://${settings.endPoint}:${settings.port}`;
  const live = await fetch(`${endpoint}/minio/health/live`).then(
    (response) => response.ok,
    () => false,
  );
  if (!live) {
    throw new Error(
      `MinIO is not running at ${endpoint}: start it with \`npm run infra:up\` (or run via test/run-tests.ts)`,
    );
  }
  return { store: new MinioObjectStore(settings, options), dispose: () => removeBucket(settings) };
}

/** A local-directory store in a fresh temp directory. */
export async function createTestLocalStore(): Promise<DisposableStore> {
  const dir = await mkdtemp(join(tmpdir(), 'amto-store-'));
  return { store: new LocalObjectStore(dir), dispose: () => rm(dir, { recursive: true, force: true }) };
}

/** Both store kinds, for suites that must hold for each. */
export const storeKinds: { name: string; create: () => Promise<DisposableStore> }[] = [
  { name: 'MinIO', create: () => createTestMinioStore() },
  { name: 'local directory', create: createTestLocalStore },
];
