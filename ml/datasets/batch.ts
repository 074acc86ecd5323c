import * as tf from '@tensorflow/tfjs';
import { checkedIndex, pixelsPerImage, type ImageDataset } from './image-dataset';

/**
 * The images and labels at `indices` as tensors. With `flipSource` (uniform in [0, 1)), each image is
 * mirrored left-right when its draw is below 0.5; one draw per image, in batch order, so the flips are a
 * pure function of the source's seed.
 */
export function gatherBatch(
  data: ImageDataset,
  indices: readonly number[],
  flipSource: (() => number) | null = null,
): { images: tf.Tensor4D; labels: tf.Tensor1D } {
  if (indices.length === 0) {
    throw new Error('gatherBatch: a batch needs at least one index');
  }
  const { height, width, channels } = data;
  const pixels = pixelsPerImage(data);
  const rowLength = width * channels;
  const images = new Float32Array(indices.length * pixels);
  const labels = new Int32Array(indices.length);
  indices.forEach((rawIndex, b) => {
    const index = checkedIndex(data, rawIndex);
    const source = index * pixels;
    const target = b * pixels;
    labels[b] = data.labels[index] as number;
    if (flipSource === null || flipSource() >= 0.5) {
      images.set(data.images.subarray(source, source + pixels), target);
      return;
    }
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const from = source + y * rowLength + (width - 1 - x) * channels;
        const to = target + y * rowLength + x * channels;
        for (let c = 0; c < channels; c++) {
          images[to + c] = data.images[from + c] as number;
        }
      }
    }
  });
  return {
    images: tf.tensor4d(images, [indices.length, height, width, channels]),
    labels: tf.tensor1d(labels, 'int32'),
  };
}
