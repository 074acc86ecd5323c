import { InvalidKeyError, StoreConfigurationError } from './errors';
import { assertPrefix } from './keys';
import type { ObjectStore } from './object-store';

/** `s3://<bucket>/<key>`: how checkpoints, models and datasets are named outside storage/. */
export function objectUrl(store: Pick<ObjectStore, 'bucket'>, key: string): string {
  return `s3://${store.bucket}/${key}`;
}

/** Splits `s3://<bucket>/<key>` into its parts; the key may be a prefix (trailing "/" is dropped). */
export function parseObjectUrl(url: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  const bucket = match?.[1];
  const key = match?.[2]?.replace(/\/+$/, '');
  if (bucket === undefined || key === undefined || key === '') {
    throw new InvalidKeyError(`"${url}" is not an object URL: expected s3://<bucket>/<key>`);
  }
  assertPrefix(key);
  return { bucket, key };
}

/** The key an s3:// URL names in `store`; the URL's bucket must be the store's. */
export function keyInStore(store: Pick<ObjectStore, 'bucket' | 'location'>, url: string): string {
  const { bucket, key } = parseObjectUrl(url);
  if (bucket !== store.bucket) {
    throw new StoreConfigurationError(
      `"${url}" names bucket "${bucket}", but the configured store is ${store.location}; ` +
        'set MINIO_BUCKET to that bucket or use a URL in this one',
    );
  }
  return key;
}
