import type { Hash } from 'node:crypto';
import { gatherBatch, type ImageDataset } from '../ml/datasets';

/** Float32 bytes rebuilt per chunk (a few 224² images): the v1 hash never holds a dataset at its served size. */
const CHUNK_BYTES = 2 * 2 ** 20;

/**
 * Digest formula v1, recorded (unversioned) by releases up to 50e1486, which held every dataset as
 * float32 at its served shape: the header [n, height, width, channels, numClasses, classNames], every
 * served float32 pixel, then the labels. The pixels are rebuilt from the held bytes chunk by chunk with
 * `gatherBatch`, whose values are bit-identical to those float32 datasets, and hashed as they come.
 */
export function updateDigestV1(hash: Hash, data: ImageDataset): void {
  hash.update(
    JSON.stringify([data.n, data.height, data.width, data.channels, data.numClasses, data.classNames]),
  );
  const imageBytes = data.height * data.width * data.channels * Float32Array.BYTES_PER_ELEMENT;
  const perChunk = Math.max(1, Math.floor(CHUNK_BYTES / imageBytes));
  for (let start = 0; start < data.n; start += perChunk) {
    const indices = Array.from({ length: Math.min(perChunk, data.n - start) }, (_, i) => start + i);
    const { images, labels } = gatherBatch(data, indices);
    try {
      const values = images.dataSync();
      hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    } finally {
      images.dispose();
      labels.dispose();
    }
  }
  hash.update(new Uint8Array(data.labels.buffer, data.labels.byteOffset, data.labels.byteLength));
}
