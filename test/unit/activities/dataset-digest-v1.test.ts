/**
 * Runs prepared by releases up to 50e1486 recorded digests of formula v1 (float32 pixels at the served
 * shape, unversioned); this release must recompute them from its 8-bit datasets so those runs resume.
 *
 * The digests below were computed by the released code itself, on 2026-12-02: `git worktree add --detach
 * /work/digest-old 50e1486`, node_modules linked from a current checkout, then in that tree a throwaway
 * script run as `node --import tsx gen-digests.ts <backend>` for cpu, wasm and tensorflow that called
 * `selectBackend(<backend>)`,
 * `writeSyntheticImageFolder(<tmp>/images, { classes: 2, perClass: 12, size: 16, seed: 1 })` and, for each
 * config below (through `parseRunConfig`), `datasetDigest(await decodeRunDataset(config, store, tmpdir()))`
 * — the functions `loadRunDataset` calls.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { checkDatasetDigest, datasetDigest } from '../../../activities/dataset-digest';
import { decodeRunDataset } from '../../../activities/decode-run-dataset';
import { parseRunConfig } from '../../../amto';
import { selectBackend, type BackendName } from '../../../ml/backend';
import { writeSyntheticImageFolder, type DatasetSplits } from '../../../ml/datasets';
import type { ObjectStore } from '../../../storage/object-store';

const fashion = { kind: 'fashion-mnist', subset: 300, testSubset: 100 };

type Digests = Record<BackendName, string>;

function same(digest: string): Digests {
  return { cpu: digest, wasm: digest, tensorflow: digest };
}

/** Each config (seed 1, the default) and the digest 50e1486's `prepareRun` recorded for it, by backend. */
const released = [
  {
    name: 'Fashion-MNIST at small-cnn’s 28×28×1',
    config: { dataset: fashion, model: { arch: 'small-cnn' } },
    digests: same('35542a411d12da2122a93367de2ec845'),
  },
  {
    // 300 images of 32×32×3 float32 span two of the v1 hash's chunks. The plain CPU backend's bilinear
    // resize rounds differently from native TensorFlow's and WASM's: a v1 digest of resized data holds
    // only on the backend family that prepared the run, as it did in the released code.
    name: 'Fashion-MNIST resized to mobilenet_v2’s 32×32×3',
    config: { dataset: fashion, model: { arch: 'mobilenet_v2', inputSize: 32 } },
    digests: {
      cpu: 'aef41c3a73d298c4a359547a802a3ae9',
      wasm: '8678d45d2bbbc064c3cf7852d9c99719',
      tensorflow: '8678d45d2bbbc064c3cf7852d9c99719',
    },
  },
  {
    name: 'an image folder (19 train, 5 test images) at 16×16×3',
    config: {
      dataset: { kind: 'image-folder' },
      model: { arch: 'small-cnn', inputSize: 16 },
    },
    digests: same('aa9d4ec88085ab3720a5a77b7e83618e'),
  },
];

let root: string;
let nativeBuilt: boolean;

before(async () => {
  nativeBuilt = (await selectBackend('auto', { log: () => undefined })).backend === 'tensorflow';
  root = await mkdtemp(join(tmpdir(), 'amto-digest-v1-'));
  await writeSyntheticImageFolder(join(root, 'images'), { classes: 2, perClass: 12, size: 16, seed: 1 });
  await writeSyntheticImageFolder(join(root, 'other'), { classes: 2, perClass: 12, size: 16, seed: 2 });
});
after(() => rm(root, { recursive: true, force: true }));

/** The run dataset of `config` (an image folder read from `folder` under this test's directory). */
async function decode(
  config: { dataset: { kind: string }; model: object },
  { seed = 1, folder = 'images' } = {},
): Promise<DatasetSplits> {
  const { dataset } = config;
  const parsed = parseRunConfig({
    ...config,
    dataset: dataset.kind === 'image-folder' ? { ...dataset, path: join(root, folder) } : dataset,
    seed,
  });
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.problems.join('; '));
  // Fashion-MNIST and image folders are read from local folders: the store is never asked.
  return decodeRunDataset(parsed.config, {} as ObjectStore, '/nonexistent');
}

function rejectedNaming(recorded: string): (error: unknown) => boolean {
  return (error: unknown) =>
    error instanceof ApplicationFailure &&
    error.type === 'InvalidDataset' &&
    error.nonRetryable === true &&
    new RegExp(`digest [0-9a-f]{32}, the split manifest records ${recorded}\\)`).test(error.message);
}

describe('dataset digest v1 (recorded by releases up to 50e1486)', () => {
  for (const backend of ['cpu', 'wasm', 'tensorflow'] as const) {
    for (const { name, config, digests } of released) {
      test(`${name}, on ${backend}: the released digest is reproduced and accepted; other data is refused`, async (t) => {
        if (backend === 'tensorflow' && !nativeBuilt) {
          t.skip('native TensorFlow is not built in this checkout (npm run setup)');
          return;
        }
        await selectBackend(backend, { log: () => undefined });
        const digest = digests[backend];
        const data = await decode(config);
        assert.doesNotThrow(() => checkDatasetDigest(data, digest, 'run-v1'));
        assert.match(datasetDigest(data), /^v2:[0-9a-f]{32}$/, 'new runs record the current formula');
        const other = await decode(
          config,
          config.dataset.kind === 'image-folder' ? { folder: 'other' } : { seed: 2 },
        );
        assert.throws(() => checkDatasetDigest(other, digest, 'run-v1'), rejectedNaming(digest));
      });
    }
  }
});
