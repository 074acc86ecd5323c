import * as tf from '@tensorflow/tfjs';
import { checkedIndex, resizesPerBatch, storedPixelsPerImage, type ImageDataset } from './image-dataset';

/** byte / 255 for every byte, rounded to float32 as the division's result always was. */
const SCALED = Float32Array.from({ length: 256 }, (_, byte) => byte / 255);

/**
 * The images and labels at `indices` as tensors, scaled to [0, 1] and resized to the dataset's served
 * shape: the only place held 8-bit pixels become float32, one batch at a time. With `flipSource`
 * (uniform in [0, 1)), each image is mirrored left-right (after resizing) when its draw is below 0.5;
 * one draw per image, in batch order, so the flips are a pure function of the source's seed.
 */
export function gatherBatch(
  data: ImageDataset,
  indices: readonly number[],
  flipSource: (() => number) | null = null,
): { images: tf.Tensor4D; labels: tf.Tensor1D } {
  if (indices.length === 0) {
    throw new Error('gatherBatch: a batch needs at least one index');
  }
  const pixels = storedPixelsPerImage(data);
  const scaled = new Float32Array(indices.length * pixels);
  const labels = new Int32Array(indices.length);
  const mirrored = indices.map((rawIndex, b) => {
    const index = checkedIndex(data, rawIndex);
    labels[b] = data.labels[index] as number;
    const source = index * pixels;
    const target = b * pixels;
    for (let p = 0; p < pixels; p++) {
      scaled[target + p] = SCALED[data.images[source + p] as number] as number;
    }
    return flipSource !== null && flipSource() < 0.5;
  });
  const { height, width, channels } = data;
  const images = resizesPerBatch(data) ? resized(data, scaled, indices.length) : scaled;
  const served = height * width * channels;
  mirrored.forEach((mirror, b) => {
    if (mirror) mirrorRows(images, b * served, height, width, channels);
  });
  return {
    images: tf.tensor4d(images, [indices.length, height, width, channels]),
    labels: tf.tensor1d(labels, 'int32'),
  };
}

/** The batch's scaled images resized (bilinear, grey repeated to RGB) from the stored to the served shape. */
function resized(data: ImageDataset, scaled: Float32Array, count: number): Float32Array {
  const [storedHeight, storedWidth, storedChannels] = data.stored;
  const result = tf.tidy(() => {
    const x = tf.tensor4d(scaled, [count, storedHeight, storedWidth, storedChannels]);
    const sized = tf.image.resizeBilinear(x, [data.height, data.width]);
    return data.channels === storedChannels ? sized : tf.tile(sized, [1, 1, 1, data.channels]);
  });
  // A copy: the CPU backend's dataSync hands out the tensor's own array, which is mirrored in place below.
  const values = Float32Array.from(result.dataSync());
  result.dispose();
  return values;
}

/** Mirrors one height × width × channels image left-right, in place. */
function mirrorRows(
  images: Float32Array,
  offset: number,
  height: number,
  width: number,
  channels: number,
): void {
  const rowLength = width * channels;
  for (let y = 0; y < height; y++) {
    const row = offset + y * rowLength;
    for (let x = 0; x < width >> 1; x++) {
      const left = row + x * channels;
      const right = row + (width - 1 - x) * channels;
      for (let c = 0; c < channels; c++) {
        const value = images[left + c] as number;
        images[left + c] = images[right + c] as number;
        images[right + c] = value;
      }
    }
  }
}
