import type { RunConfig } from '../amto';
import { loadFashionMnist, loadImageFolder, resizeDataset, type DatasetSplits } from '../ml/datasets';
import { materializeDataset } from '../storage/dataset-store';
import type { ObjectStore } from '../storage/object-store';
import { seededSubset } from './dataset-subset';
import { inputShapeFor } from './input-shape';

/** A local directory as it is, an s3:// dataset downloaded (once) into the worker's cache. */
async function localPath(path: string, store: ObjectStore, cacheDir: string): Promise<string> {
  return path.startsWith('s3://') ? materializeDataset(store, path, cacheDir) : path;
}

/**
 * The run's gross training set and test set at the run's input shape (subset when configured). Fashion-MNIST
 * is subset at its own 28×28 and only then served at the input shape, so a subset run holds its subset's
 * bytes and never the full set at 224².
 */
export async function decodeRunDataset(
  config: RunConfig,
  store: ObjectStore,
  cacheDir: string,
): Promise<DatasetSplits> {
  const { dataset, seed } = config;
  const inputShape = inputShapeFor(config);
  if (dataset.kind === 'fashion-mnist') {
    const splits = await loadFashionMnist({ dir: dataset.path });
    const train =
      dataset.subset === undefined
        ? splits.train
        : seededSubset(splits.train, dataset.subset, seed, 'subset');
    const test =
      splits.test === null || dataset.testSubset === undefined
        ? splits.test
        : seededSubset(splits.test, dataset.testSubset, seed, 'test-subset');
    return {
      train: resizeDataset(train, inputShape),
      test: test === null ? null : resizeDataset(test, inputShape),
    };
  }
  return loadImageFolder(await localPath(dataset.path, store, cacheDir), {
    inputShape,
    testDir: dataset.testPath === undefined ? undefined : await localPath(dataset.testPath, store, cacheDir),
    testFraction: dataset.testFraction,
    seed,
  });
}
