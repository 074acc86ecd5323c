/** The in-memory form every dataset loader produces and the training loop consumes. */

/** [height, width, channels] of one image. */
export type ImageShape = readonly [number, number, number];

export interface ImageDataset {
  /**
   * n images of shape `stored`, row-major (NHWC), as raw 8-bit pixels: a quarter of float32's memory.
   * Batches scale them to [0, 1] (and resize them to height × width × channels) when they are built.
   */
  images: Uint8Array;
  /** The shape the images are held at; differs from height × width × channels when batches resize. */
  stored: ImageShape;
  /** Class index of each image, in [0, numClasses). */
  labels: Int32Array;
  n: number;
  /** The shape of each image in a batch: the model's input. */
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

/** Values per image as held (the stored shape). */
export function storedPixelsPerImage(data: ImageDataset): number {
  const [height, width, channels] = data.stored;
  return height * width * channels;
}

/** Whether batches of `data` are resized from its stored shape. */
export function resizesPerBatch(data: ImageDataset): boolean {
  const [height, width, channels] = data.stored;
  return height !== data.height || width !== data.width || channels !== data.channels;
}

/** Bytes held by a dataset's arrays (for the cache's memory bound). */
export function datasetBytes(data: ImageDataset): number {
  return data.images.byteLength + data.labels.byteLength;
}

/** A new dataset holding copies of the images at `indices`, in that order. */
export function selectSamples(data: ImageDataset, indices: ArrayLike<number>): ImageDataset {
  const pixels = storedPixelsPerImage(data);
  const images = new Uint8Array(indices.length * pixels);
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
