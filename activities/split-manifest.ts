import type { TaskSplit } from '../amto';
import type { ObjectStore } from '../storage/object-store';

/** `runs/<runId>/splits.json`: the M (train, validation) index splits every worker trains and validates on. */
export interface SplitManifest {
  version: 1;
  runId: string;
  datasetSize: number;
  splits: TaskSplit[];
}

export async function writeSplitManifest(
  store: ObjectStore,
  key: string,
  manifest: SplitManifest,
): Promise<void> {
  await store.putObject(key, Buffer.from(JSON.stringify(manifest)));
}

const cache = new Map<string, Promise<SplitManifest>>();

/** Read once per worker process and run: the manifest is write-once. */
export function readSplitManifest(store: ObjectStore, key: string): Promise<SplitManifest> {
  let pending = cache.get(key);
  if (pending === undefined) {
    pending = store
      .getObject(key)
      .then((bytes) => JSON.parse(Buffer.from(bytes).toString('utf8')) as SplitManifest);
    cache.set(key, pending);
    pending.catch(() => cache.delete(key));
  }
  return pending;
}
