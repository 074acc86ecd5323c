import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { DatasetSplits, ImageDataset } from '../ml/datasets';

const digests = new WeakMap<DatasetSplits, string>();

function update(hash: ReturnType<typeof createHash>, data: ImageDataset): void {
  hash.update(
    JSON.stringify([
      data.n,
      data.stored,
      data.height,
      data.width,
      data.channels,
      data.numClasses,
      data.classNames,
    ]),
  );
  hash.update(data.images);
  hash.update(new Uint8Array(data.labels.buffer, data.labels.byteOffset, data.labels.byteLength));
}

/**
 * A hash of the decoded dataset itself (held and served shapes, class names, every held pixel and label,
 * test set included), computed once per process: two workers that decode different files, or the same files with another
 * image decoder, get different digests.
 */
export function datasetDigest(data: DatasetSplits): string {
  let digest = digests.get(data);
  if (digest === undefined) {
    const hash = createHash('sha256');
    update(hash, data.train);
    if (data.test !== null) update(hash, data.test);
    digest = hash.digest('hex').slice(0, 32);
    digests.set(data, digest);
  }
  return digest;
}

/** Fails without retry when this worker decoded another dataset than the one the run was prepared on. */
export function checkDatasetDigest(data: DatasetSplits, recorded: string | undefined, runId: string): void {
  // Runs prepared before digests were recorded have none to compare with.
  if (recorded === undefined) return;
  const own = datasetDigest(data);
  if (own === recorded) return;
  throw ApplicationFailure.create({
    type: 'InvalidDataset',
    nonRetryable: true,
    message:
      `run ${runId}: this worker decoded a different dataset than the run was prepared on ` +
      `(digest ${own}, the split manifest records ${recorded}); every worker must read the same files ` +
      'with the same image decoder: check the dataset path, its copy on this machine, and the sharp version',
  });
}
