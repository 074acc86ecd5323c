import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { cachedDataset } from './dataset-cache';
import { datasetFingerprint } from './dataset-fingerprint';
import { readIdxGz } from './idx-file';
import type { DatasetSplits, ImageDataset } from './image-dataset';
import { resizeDataset } from './resize-dataset';

/** Where the Debian package dataset-fashion-mnist installs the four IDX files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

export interface FashionMnistOptions {
  /** Folder with the IDX .gz files; default FASHION_MNIST_DIR. */
  dir?: string;
  /** Resize to [height, width, channels] (channels 1 or 3) for models that need larger or RGB inputs. */
  inputShape?: readonly [number, number, number];
}

/** Fashion-MNIST (60,000 training and 10,000 test images, 28×28×1), decoded once per process. */
export async function loadFashionMnist(options: FashionMnistOptions = {}): Promise<DatasetSplits> {
  const dir = options.dir ?? FASHION_MNIST_DIR;
  await access(dir).catch(() => {
    throw new Error(
      `Fashion-MNIST not found: ${dir} does not exist. Install it with: apt-get install -y dataset-fashion-mnist`,
    );
  });
  // Held once at 28×28×1 whatever the input shape: batches are resized when they are built.
  const key = `fashion-mnist:${dir}:${await datasetFingerprint(dir)}`;
  const splits = await cachedDataset(key, async () => ({
    train: await readSplit(dir, 'train'),
    test: await readSplit(dir, 't10k'),
  }));
  const { inputShape } = options;
  if (inputShape === undefined) return splits;
  return {
    train: resizeDataset(splits.train, inputShape),
    test: splits.test === null ? null : resizeDataset(splits.test, inputShape),
  };
}

async function readSplit(dir: string, prefix: 'train' | 't10k'): Promise<ImageDataset> {
  const imagesPath = join(dir, `${prefix}-images-idx3-ubyte.gz`);
  const labelsPath = join(dir, `${prefix}-labels-idx1-ubyte.gz`);
  const images = await readIdxGz(imagesPath);
  const labels = await readIdxGz(labelsPath);
  const [n = 0, height = 0, width = 0] = images.dims;
  if (images.dims.length !== 3 || labels.dims.length !== 1 || labels.dims[0] !== n) {
    throw new Error(
      `${imagesPath} (dims ${images.dims.join('×')}) and ${labelsPath} (dims ${labels.dims.join('×')}) do not form an image set`,
    );
  }
  const labelArray = Int32Array.from(labels.data);
  const bad = labelArray.findIndex((label) => label >= FASHION_MNIST_CLASSES.length);
  if (bad >= 0) {
    throw new Error(
      `${labelsPath}: label ${labelArray[bad]} at index ${bad} is not a Fashion-MNIST class (0..9)`,
    );
  }
  return {
    images: images.data,
    stored: [height, width, 1],
    labels: labelArray,
    n,
    height,
    width,
    channels: 1,
    numClasses: FASHION_MNIST_CLASSES.length,
    classNames: [...FASHION_MNIST_CLASSES],
  };
}
