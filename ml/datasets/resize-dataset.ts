import type { ImageDataset, ImageShape } from './image-dataset';

/**
 * `data` served at [height, width, channels]: the same held pixels, resized (bilinear) when each batch is
 * built, so a 224² model never holds its dataset at 224². A single channel may be repeated to 3 (grey to
 * RGB), the only channel change that loses nothing.
 */
export function resizeDataset(data: ImageDataset, shape: ImageShape): ImageDataset {
  const [height, width, channels] = shape;
  if (![height, width, channels].every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(
      `resizeDataset: shape must be [height, width, channels] of positive integers; got ${JSON.stringify(shape)}`,
    );
  }
  const storedChannels = data.stored[2];
  if (channels !== storedChannels && !(storedChannels === 1 && channels === 3)) {
    throw new Error(
      `resizeDataset: cannot turn ${storedChannels}-channel images into ${channels} channels (only 1 → 3)`,
    );
  }
  return { ...data, height, width, channels };
}
