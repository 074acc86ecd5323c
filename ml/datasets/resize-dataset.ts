import * as tf from '@tensorflow/tfjs';
import type { ImageDataset } from './image-dataset';

/** Images resized per chunk, so the temporary tensors stay small whatever the dataset size. */
const CHUNK = 512;

/**
 * Bilinear resize of every image to [height, width, channels]; a single channel may be repeated to 3
 * (grey to RGB), the only channel change that loses nothing.
 */
export function resizeDataset(data: ImageDataset, shape: readonly [number, number, number]): ImageDataset {
  const [height, width, channels] = shape;
  if (![height, width, channels].every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(
      `resizeDataset: shape must be [height, width, channels] of positive integers; got ${JSON.stringify(shape)}`,
    );
  }
  if (channels !== data.channels && !(data.channels === 1 && channels === 3)) {
    throw new Error(
      `resizeDataset: cannot turn ${data.channels}-channel images into ${channels} channels (only 1 → 3)`,
    );
  }
  const inPixels = data.height * data.width * data.channels;
  const outPixels = height * width * channels;
  const images = new Float32Array(data.n * outPixels);
  for (let start = 0; start < data.n; start += CHUNK) {
    const count = Math.min(CHUNK, data.n - start);
    const chunk = tf.tidy(() => {
      const x = tf.tensor4d(data.images.subarray(start * inPixels, (start + count) * inPixels), [
        count,
        data.height,
        data.width,
        data.channels,
      ]);
      const resized = tf.image.resizeBilinear(x, [height, width]);
      return channels === data.channels ? resized : tf.tile(resized, [1, 1, 1, channels]);
    });
    images.set(chunk.dataSync(), start * outPixels);
    chunk.dispose();
  }
  return { ...data, images, labels: data.labels.slice(), height, width, channels };
}
