import { z } from 'zod';
import { InvalidDocumentError, integer, parseDocument } from '../amto';
import { CorruptObjectError } from '../storage/errors';
import type { ObjectStore } from '../storage/object-store';
import { recordedDigestSchema } from './dataset-digest';

const indices = z.array(integer(0), 'must be a list of sample indices');

/** `runs/<runId>/splits.json`: the M (train, validation) index splits every worker trains and validates on. */
const splitManifestSchema = z
  .object({
    version: z.literal(1, 'must be 1 (the only split manifest version)'),
    runId: z.string('must be a run id'),
    /** The workflow execution that prepared the run: only its retries may prepare it again. */
    preparedBy: z
      .object({ workflowId: z.string(), workflowRunId: z.string() }, 'must name a workflow execution')
      .optional(),
    datasetSize: integer(2),
    /** `datasetDigest` of the data prepareRun decoded; every training and evaluating worker checks it. */
    datasetDigest: recordedDigestSchema.optional(),
    splits: z
      .array(z.object({ train: indices, validation: indices }), 'must be a list of splits, one per task')
      .min(1, 'must list one split per task'),
  })
  .superRefine((manifest, context) => {
    manifest.splits.forEach((split, task) => {
      for (const part of ['train', 'validation'] as const) {
        const outside = split[part].findIndex((sample) => sample >= manifest.datasetSize);
        if (outside >= 0) {
          context.addIssue({
            code: 'custom',
            path: ['splits', task, part, outside],
            message: `must be below datasetSize ${manifest.datasetSize}`,
          });
        }
      }
    });
  });

export type SplitManifest = z.output<typeof splitManifestSchema>;

export async function writeSplitManifest(
  store: ObjectStore,
  key: string,
  manifest: SplitManifest,
): Promise<void> {
  await store.putObject(key, Buffer.from(JSON.stringify(manifest)));
}

/** The manifest at `key`, validated: indices out of range or a truncated file would train on wrong data. */
async function loadSplitManifest(store: ObjectStore, key: string): Promise<SplitManifest> {
  const bytes = await store.getObject(key);
  try {
    return parseDocument(
      splitManifestSchema,
      JSON.parse(Buffer.from(bytes).toString('utf8')),
      key,
      'manifest',
    );
  } catch (error) {
    const reason =
      error instanceof InvalidDocumentError ? error.problems.join('; ') : (error as Error).message;
    throw new CorruptObjectError(key, `not a valid split manifest (in ${store.location}): ${reason}`);
  }
}

const cache = new Map<string, Promise<SplitManifest>>();

/** Read once per worker process and run: the manifest is write-once. */
export function readSplitManifest(store: ObjectStore, key: string): Promise<SplitManifest> {
  let pending = cache.get(key);
  if (pending === undefined) {
    pending = loadSplitManifest(store, key);
    cache.set(key, pending);
    pending.catch(() => cache.delete(key));
  }
  return pending;
}
