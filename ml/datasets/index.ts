/** Datasets: the in-memory image set, its loaders, the decode cache and batching (randomness: amto/prng). */
export { datasetBytes, selectSamples, type DatasetSplits, type ImageDataset } from './image-dataset';
export {
  loadFashionMnist,
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_DIR,
  type FashionMnistOptions,
} from './fashion-mnist';
export {
  loadImageFolder,
  DEFAULT_TEST_FRACTION,
  IMAGE_EXTENSIONS,
  type ImageFolderOptions,
} from './image-folder';
export { writeSyntheticImageFolder, type SyntheticFolderOptions } from './synthetic-image-folder';
export { resizeDataset } from './resize-dataset';
export { datasetFingerprint } from './dataset-fingerprint';
export { datasetCacheStats, setDatasetCacheLimit } from './dataset-cache';
export { gatherBatch } from './batch';
