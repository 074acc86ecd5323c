import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  datasetUrl,
  debianFashionMnistDir,
  fashionMnistFileNames,
  materializeDataset,
  materializedManifestFileName,
  uploadFashionMnist,
  uploadImageFolder,
} from '../../../storage/dataset-store';
import { CorruptObjectError, DatasetError, StoreConfigurationError } from '../../../storage/errors';
import { storeKinds } from './storage-fixtures';
import type { DisposableStore } from './storage-fixtures';

/** A class-per-subfolder image folder with small random "images" (the bytes are what matters here). */
async function makeImageFolder(root: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const label of ['forest', 'river bank']) {
    await mkdir(join(root, label), { recursive: true });
    for (let i = 0; i < 3; i++) {
      const bytes = randomBytes(500 + i);
      const name = `${label}/${label.slice(0, 1)}${i}.png`;
      await writeFile(join(root, name), bytes);
      files.set(name, bytes);
    }
  }
  await writeFile(join(root, '.DS_Store'), 'hidden files are not uploaded');
  return files;
}

async function filesBelow(dir: string, prefix = ''): Promise<string[]> {
  const names: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      names.push(...(await filesBelow(join(dir, entry.name), `${prefix}${entry.name}/`)));
    } else {
      names.push(`${prefix}${entry.name}`);
    }
  }
  return names.sort();
}

for (const kind of storeKinds) {
  describe(`datasets in the bucket: ${kind.name}`, () => {
    let fixture: DisposableStore;
    let work: string;
    before(async () => {
      fixture = await kind.create();
      work = await mkdtemp(join(tmpdir(), 'amto-dataset-'));
    });
    after(async () => {
      await rm(work, { recursive: true, force: true });
      await fixture.dispose();
    });

    test('an image folder uploads with a manifest and materializes to identical files, reused later', async () => {
      const source = join(work, 'images');
      const files = await makeImageFolder(source);
      const uploaded = await uploadImageFolder(fixture.store, source, 'tiny-scenes');
      assert.equal(uploaded.url, datasetUrl(fixture.store, 'tiny-scenes'));
      assert.equal(uploaded.files, files.size);
      assert.equal(uploaded.unchanged, false);
      assert.equal((await uploadImageFolder(fixture.store, source, 'tiny-scenes')).unchanged, true);

      const cache = join(work, 'cache');
      const path = await materializeDataset(fixture.store, uploaded.url, cache);
      assert.ok(path.startsWith(join(cache, 'datasets', 'tiny-scenes-')));
      assert.ok(path.endsWith(uploaded.manifestSha256.slice(0, 16)));
      assert.deepEqual(await filesBelow(path), [materializedManifestFileName, ...[...files.keys()].sort()]);
      for (const [name, bytes] of files) {
        assert.deepEqual(await readFile(join(path, ...name.split('/'))), bytes);
      }

      // A complete copy is reused without touching the store (here: even with a file gone from it).
      await fixture.store.delete(['datasets/tiny-scenes/files/forest/f0.png']);
      assert.equal(await materializeDataset(fixture.store, `${uploaded.url}/`, cache), path);

      // New content gets a new manifest hash, so a new directory; the old copy is never served for it.
      await writeFile(join(source, 'forest', 'f0.png'), randomBytes(64));
      const changed = await uploadImageFolder(fixture.store, source, 'tiny-scenes');
      assert.notEqual(changed.manifestSha256, uploaded.manifestSha256);
      const newPath = await materializeDataset(fixture.store, changed.url, cache);
      assert.notEqual(newPath, path);
      assert.deepEqual(
        await readFile(join(newPath, 'forest', 'f0.png')),
        await readFile(join(source, 'forest', 'f0.png')),
      );
    });

    test('a corrupted object fails materialization naming its key, leaving no partial cache', async () => {
      const source = join(work, 'images-corrupt');
      await makeImageFolder(source);
      const uploaded = await uploadImageFolder(fixture.store, source, 'corrupt-scenes');
      await fixture.store.putObject('datasets/corrupt-scenes/files/river bank/r1.png', randomBytes(501));
      const cache = join(work, 'cache-corrupt');
      await assert.rejects(materializeDataset(fixture.store, uploaded.url, cache), (error: unknown) => {
        assert.ok(error instanceof CorruptObjectError, String(error));
        assert.match(error.message, /datasets\/corrupt-scenes\/files\/river bank\/r1\.png/);
        return true;
      });
      assert.deepEqual(
        await readdir(join(cache, 'datasets')),
        [],
        'neither a target nor a staging directory remains',
      );
    });

    test('Fashion-MNIST from the Debian package uploads and materializes byte-identical', async () => {
      const uploaded = await uploadFashionMnist(fixture.store);
      assert.equal(uploaded.kind, 'fashion-mnist');
      assert.equal(uploaded.files, 4);
      const path = await materializeDataset(fixture.store, uploaded.url, join(work, 'cache-fmnist'));
      for (const file of fashionMnistFileNames) {
        assert.ok(
          (await readFile(join(path, file))).equals(await readFile(join(debianFashionMnistDir, file))),
          file,
        );
      }
    });

    test('missing folders, files, datasets and foreign buckets are clear errors', async () => {
      await assert.rejects(uploadImageFolder(fixture.store, join(work, 'nope'), 'x'), (error: unknown) => {
        assert.ok(error instanceof DatasetError);
        assert.match(error.message, /nope does not exist/);
        return true;
      });
      const partial = join(work, 'partial-fmnist');
      await mkdir(partial);
      await writeFile(join(partial, 'train-images-idx3-ubyte.gz'), 'x');
      await assert.rejects(
        uploadFashionMnist(fixture.store, partial),
        /t10k-labels-idx1-ubyte\.gz.*dataset-fashion-mnist/,
      );
      await assert.rejects(
        materializeDataset(fixture.store, datasetUrl(fixture.store, 'never-uploaded'), join(work, 'c')),
        /never-uploaded not found/,
      );
      await assert.rejects(
        materializeDataset(fixture.store, 's3://some-other-bucket/datasets/x', join(work, 'c')),
        StoreConfigurationError,
      );
      await assert.rejects(uploadImageFolder(fixture.store, work, '../escape'), /dataset name/);
      assert.equal(existsSync(join(work, 'c')), false);
    });
  });
}
