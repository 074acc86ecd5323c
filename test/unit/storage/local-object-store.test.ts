import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { LocalObjectStore } from '../../../storage/local-object-store';

describe('local-directory store specifics', () => {
  let dir: string;
  let store: LocalObjectStore;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'amto-local-'));
    store = new LocalObjectStore(join(dir, 'not-yet-created'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('a store whose directory does not exist yet reads as empty and is created on first write', async () => {
    assert.deepEqual(await store.list(''), []);
    assert.deepEqual(await store.listPrefixes(''), []);
    assert.equal(await store.exists('a/b'), false);
    await store.putObject('a/b', Buffer.from('x'));
    assert.equal(await store.exists('a/b'), true);
  });

  test('concurrent writers of one key leave one whole version, never a mix, and no temp files', async () => {
    const versions = Array.from({ length: 12 }, () => randomBytes(256 * 1024));
    await Promise.all(versions.map((bytes) => store.putObject('same/key.bin', bytes)));
    const final = Buffer.from(await store.getObject('same/key.bin'));
    assert.ok(
      versions.some((bytes) => bytes.equals(final)),
      'the result is exactly one of the writes',
    );
    assert.deepEqual(await readdir(join(store.rootDir, '.amto-tmp')), []);
    assert.ok(!(await store.list('')).some((item) => item.key.startsWith('.amto-tmp')));
    assert.ok(!(await store.listPrefixes('')).includes('.amto-tmp/'));
  });

  test('deleting the last object of a folder removes the folder, never the root', async () => {
    await store.putObject('deep/er/still/x.bin', new Uint8Array(1));
    await store.delete(['deep/er/still/x.bin']);
    assert.deepEqual(
      await readdir(store.rootDir).then((names) => names.filter((name) => name === 'deep')),
      [],
    );
    await store.delete(['a/b']);
    assert.ok((await readdir(dir)).includes('not-yet-created'), 'the root stays');
  });

  test('errors name the directory', async () => {
    await store.putObject('file', Buffer.from('x'));
    // "file" is an object, so it cannot also be a folder on disk.
    await assert.rejects(store.putObject('file/child', Buffer.from('y')), (error: unknown) => {
      assert.match((error as Error).message, /could not write "file\/child" in local directory/);
      return true;
    });
  });
});
