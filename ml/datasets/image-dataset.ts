/** The in-memory form every dataset loader produces and the training loop consumes. */

export interface ImageDataset {
  /** n × height × width × channels, row-major (NHWC), scaled to [0, 1]. */
  images: Float32Array;
  /** Class index of each image, in [0, numClasses). */
  labels: Int32Array;
  n: number;
  height: number;
  width: number;
  channels: number;
  numClasses: number;
  classNames: string[];
}

/** A training set and, where the source has one, its held-out test set. */
export interface DatasetSplits {
  train: ImageDataset;
  test: ImageDataset | null;
}

export function pixelsPerImage(data: ImageDataset): number {
  return data.height * data.width * data.channels;
}

/** Bytes held by a dataset's arrays (for the cache's memory bound). */
export function datasetBytes(data: ImageDataset): number {
  return data.images.byteLength + data.labels.byteLength;
}

/** A new dataset holding copies of the images at `indices`, in that order. */
export function selectSamples(data: ImageDataset, indices: ArrayLike<number>): ImageDataset {
  const pixels = pixelsPerImage(data);
  const images = new Float32Array(indices.length * pixels);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const index = checkedIndex(data, indices[i]);
    images.set(data.images.subarray(index * pixels, (index + 1) * pixels), i * pixels);
    labels[i] = data.labels[index] as number;
  }
  return { ...data, images, labels, n: indices.length };
}

/** `index` as a valid sample index of `data`, or a clear error. */
export function checkedIndex(data: ImageDataset, index: number | undefined): number {
  if (index === undefined || !Number.isInteger(index) || index < 0 || index >= data.n) {
    throw new Error(
      `Sample index ${index} is out of range: the dataset has ${data.n} images (0..${data.n - 1})`,
    );
  }
  return index;
}
