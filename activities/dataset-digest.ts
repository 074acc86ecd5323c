import { createHash, type Hash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { DatasetSplits, ImageDataset } from '../ml/datasets';
import { updateDigestV1 } from './dataset-digest-v1';

/**
 * A recorded digest names the formula it was computed with: `v2:<hex>` hashes the held 8-bit pixels
 * (this release); bare `<hex>` is v1, written by releases up to 50e1486 (float32 pixels at the served
 * shape). A worker recomputes the formula the manifest names, so runs prepared by those releases resume.
 */
type DigestFormula = 'v1' | 'v2';

const V2_PREFIX = 'v2:';

/** A dataset digest as the split manifest records it. */
export const recordedDigestSchema = z
  .string('must be a dataset digest')
  .regex(
    new RegExp(`^(${V2_PREFIX})?[0-9a-f]{32}$`),
    'must be a dataset digest: "v2:" and 32 hex digits, or 32 hex digits (v1, recorded by releases up to 50e1486)',
  );

/** Formula v2: the held and served shapes, class names, every held 8-bit pixel, then the labels. */
function updateDigestV2(hash: Hash, data: ImageDataset): void {
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

const formulas: Record<DigestFormula, { prefix: string; update: (hash: Hash, data: ImageDataset) => void }> =
  {
    v1: { prefix: '', update: updateDigestV1 },
    v2: { prefix: V2_PREFIX, update: updateDigestV2 },
  };

const digests = new WeakMap<DatasetSplits, Partial<Record<DigestFormula, string>>>();

/** `data`'s digest by `formula` (train set, then test set), computed once per process and formula. */
function digestBy(formula: DigestFormula, data: DatasetSplits): string {
  let known = digests.get(data);
  if (known === undefined) {
    known = {};
    digests.set(data, known);
  }
  let digest = known[formula];
  if (digest === undefined) {
    const { prefix, update } = formulas[formula];
    const hash = createHash('sha256');
    update(hash, data.train);
    if (data.test !== null) update(hash, data.test);
    digest = prefix + hash.digest('hex').slice(0, 32);
    known[formula] = digest;
  }
  return digest;
}

/**
 * A hash of the decoded dataset itself (held and served shapes, class names, every held pixel and label,
 * test set included), by the current formula: two workers that decode different files, or the same files
 * with another image decoder, get different digests.
 */
export function datasetDigest(data: DatasetSplits): string {
  return digestBy('v2', data);
}

/** Fails without retry when this worker decoded another dataset than the one the run was prepared on. */
export function checkDatasetDigest(data: DatasetSplits, recorded: string | undefined, runId: string): void {
  // Runs prepared before digests were recorded have none to compare with.
  if (recorded === undefined) return;
  const own = digestBy(recorded.startsWith(V2_PREFIX) ? 'v2' : 'v1', data);
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
