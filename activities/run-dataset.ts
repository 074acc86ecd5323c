import type { RunConfig } from '../amto';
import type { DatasetSplits } from '../ml/datasets';
import type { ObjectStore } from '../storage/object-store';
import { decodeRunDataset } from './decode-run-dataset';
import { inputShapeFor } from './input-shape';
import { classifyingAs } from './non-retryable';

const loaded = new Map<string, Promise<DatasetSplits>>();

/**
 * The run's gross training set and test set, decoded once per worker process (the loaders cache the
 * decoded images; this caches the subset selection). A dataset that cannot be read fails without retry.
 */
export function loadRunDataset(
  config: RunConfig,
  store: ObjectStore,
  cacheDir: string,
): Promise<DatasetSplits> {
  const key = JSON.stringify([config.dataset, inputShapeFor(config), config.seed]);
  let pending = loaded.get(key);
  if (pending === undefined) {
    pending = classifyingAs('InvalidDataset', () => decodeRunDataset(config, store, cacheDir));
    loaded.set(key, pending);
    // A failed load is not cached: the next activity tries again (after the user fixed the path).
    pending.catch(() => loaded.delete(key));
  }
  return pending;
}
