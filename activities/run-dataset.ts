import { createStream, type RunConfig } from '../amto';
import { loadFashionMnist, loadImageFolder, selectSamples, type DatasetSplits } from '../ml/datasets';
import { minInputSize } from '../ml/models';
import { materializeDataset } from '../storage/dataset-store';
import type { ObjectStore } from '../storage/object-store';
import { classifyingAs } from './non-retryable';

/** The model input [height, width, channels] a run uses: the config's, else the dataset's natural one. */
export function inputShapeFor(config: RunConfig): [number, number, number] {
  const { arch, inputSize, channels } = config.model;
  const fashion = config.dataset.kind === 'fashion-mnist';
  const natural = arch === 'small-cnn' ? (fashion ? 28 : 64) : 224;
  const side = Math.max(inputSize ?? natural, minInputSize(arch));
  return [side, side, channels ?? (fashion && arch === 'small-cnn' ? 1 : 3)];
}

export function datasetNameFor(config: RunConfig): string {
  const { dataset } = config;
  if (dataset.kind === 'fashion-mnist') return 'fashion-mnist';
  return dataset.name ?? dataset.path.replace(/\/+$/, '').split('/').pop() ?? dataset.path;
}

/** The first `count` samples after a seeded shuffle: a quick run's subset, the same in every process. */
function seededSubset(splits: DatasetSplits['train'], count: number, seed: number, purpose: string) {
  if (count >= splits.n) return splits;
  const order = Array.from({ length: splits.n }, (_, i) => i);
  createStream(seed, purpose).shuffle(order);
  return selectSamples(
    splits,
    order.slice(0, count).sort((a, b) => a - b),
  );
}

async function localPath(path: string, store: ObjectStore, cacheDir: string): Promise<string> {
  return path.startsWith('s3://') ? materializeDataset(store, path, cacheDir) : path;
}

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
    pending = classifyingAs('InvalidDataset', async () => {
      const { dataset, seed } = config;
      const inputShape = inputShapeFor(config);
      if (dataset.kind === 'fashion-mnist') {
        const splits = await loadFashionMnist({ dir: dataset.path, inputShape });
        return {
          train:
            dataset.subset === undefined
              ? splits.train
              : seededSubset(splits.train, dataset.subset, seed, 'subset'),
          test:
            splits.test === null || dataset.testSubset === undefined
              ? splits.test
              : seededSubset(splits.test, dataset.testSubset, seed, 'test-subset'),
        };
      }
      return loadImageFolder(await localPath(dataset.path, store, cacheDir), {
        inputShape,
        testDir:
          dataset.testPath === undefined ? undefined : await localPath(dataset.testPath, store, cacheDir),
        testFraction: dataset.testFraction,
        seed,
      });
    });
    loaded.set(key, pending);
    // A failed load is not cached: the next activity tries again (after the user fixed the path).
    pending.catch(() => loaded.delete(key));
  }
  return pending;
}
