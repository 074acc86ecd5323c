import { ByteBoundedLru } from './byte-bounded-lru';
import { datasetBytes, type DatasetSplits } from './image-dataset';

/**
 * Decoded datasets kept per process, so a worker decodes each source once however many activities use
 * it. Keys include the source's fingerprint, so changed files are decoded again. Bounded in bytes
 * (default 4 GiB; workers set their own with setDatasetCacheLimit); a dataset larger than the bound is
 * loaded but not kept.
 */

const DEFAULT_MAX_BYTES = 4 * 1024 ** 3;

const cache = new ByteBoundedLru<DatasetSplits>(DEFAULT_MAX_BYTES);
/** Loads in flight, so concurrent activities asking for one dataset share a single decode. */
const pending = new Map<string, Promise<DatasetSplits>>();

function splitsBytes(splits: DatasetSplits): number {
  return datasetBytes(splits.train) + (splits.test === null ? 0 : datasetBytes(splits.test));
}

/** The cached value for `key`, or the result of `load()`, cached when it fits. */
export async function cachedDataset(key: string, load: () => Promise<DatasetSplits>): Promise<DatasetSplits> {
  const hit = cache.get(key);
  if (hit !== undefined) {
    return hit;
  }
  const inFlight = pending.get(key);
  if (inFlight !== undefined) {
    return inFlight;
  }
  const loading = load()
    .then((splits) => {
      cache.set(key, splits, splitsBytes(splits));
      return splits;
    })
    .finally(() => pending.delete(key));
  pending.set(key, loading);
  return loading;
}

/** Changes the memory bound (bytes), evicting least recently used datasets as needed. */
export function setDatasetCacheLimit(maxBytes: number): void {
  if (!Number.isFinite(maxBytes) || maxBytes < 0) {
    throw new Error(`setDatasetCacheLimit: maxBytes must be a non-negative number; got ${maxBytes}`);
  }
  cache.setMaxBytes(maxBytes);
}

export function datasetCacheStats(): { entries: number; bytes: number } {
  return { entries: cache.size, bytes: cache.bytes };
}
