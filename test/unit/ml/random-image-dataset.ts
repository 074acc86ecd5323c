import { createStream } from '../../../amto';
import type { ImageDataset } from '../../../ml/datasets';

/** A dataset of seeded noise images with cycling labels, for tests that only need tensors to flow. */
export function randomImageDataset(shape: {
  n: number;
  height: number;
  width: number;
  channels: number;
  numClasses: number;
  seed: number;
}): ImageDataset {
  const { n, height, width, channels, numClasses, seed } = shape;
  const stream = createStream(seed, 'random-image-dataset');
  return {
    images: Uint8Array.from({ length: n * height * width * channels }, () =>
      Math.floor(stream.nextFloat() * 256),
    ),
    stored: [height, width, channels],
    labels: Int32Array.from({ length: n }, (_, i) => i % numClasses),
    n,
    height,
    width,
    channels,
    numClasses,
    classNames: Array.from({ length: numClasses }, (_, k) => `class-${k}`),
  };
}
