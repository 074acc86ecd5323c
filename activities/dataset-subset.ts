import { createStream } from '../amto';
import { selectSamples, type ImageDataset } from '../ml/datasets';

/** The first `count` samples after a seeded shuffle: a quick run's subset, the same in every process. */
export function seededSubset(data: ImageDataset, count: number, seed: number, purpose: string): ImageDataset {
  if (count >= data.n) return data;
  const order = Array.from({ length: data.n }, (_, i) => i);
  createStream(seed, purpose).shuffle(order);
  return selectSamples(
    data,
    order.slice(0, count).sort((a, b) => a - b),
  );
}
