import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { InvalidKeyError, ObjectNotFoundError } from '../../../storage/errors';
import type { ObjectStore } from '../../../storage/object-store';
import { storeKinds } from './storage-fixtures';
import type { DisposableStore } from './storage-fixtures';

/** The behaviour every ObjectStore must have; run against MinIO and the local directory alike. */
for (const kind of storeKinds) {
  describe(`ObjectStore contract: ${kind.name}`, () => {
    let fixture: DisposableStore;
    let store: ObjectStore;
    before(async () => {
      fixture = await kind.create();
      store = fixture.store;
    });
    after(() => fixture.dispose());

    test('returns exactly the bytes written, including empty objects and views into larger buffers', async () => {
      const big = randomBytes(1 << 20);
      const backing = randomBytes(64);
      const view = new Uint8Array(backing.buffer, backing.byteOffset + 10, 20);
      await store.putObject('contract/bytes/big.bin', big);
      await store.putObject('contract/bytes/empty.bin', new Uint8Array(0));
      await store.putObject('contract/bytes/view.bin', view);
      assert.deepEqual(Buffer.from(await store.getObject('contract/bytes/big.bin')), big);
      assert.equal((await store.getObject('contract/bytes/empty.bin')).byteLength, 0);
      assert.deepEqual(Buffer.from(await store.getObject('contract/bytes/view.bin')), Buffer.from(view));
    });

    test('a missing key is ObjectNotFoundError naming the key and the store', async () => {
      await assert.rejects(store.getObject('contract/missing/nothing.bin'), (error: unknown) => {
        assert.ok(error instanceof ObjectNotFoundError);
        assert.equal(error.name, 'ObjectNotFound');
        assert.match(error.message, /contract\/missing\/nothing\.bin/);
        assert.ok(error.message.includes(store.location));
        return true;
      });
      assert.equal(await store.exists('contract/missing/nothing.bin'), false);
    });

    test('exists reports objects, and overwriting replaces the content', async () => {
      await store.putObject('contract/overwrite/a.txt', Buffer.from('first'));
      assert.equal(await store.exists('contract/overwrite/a.txt'), true);
      assert.equal(await store.exists('contract/overwrite'), false, 'a prefix is not an object');
      await store.putObject('contract/overwrite/a.txt', Buffer.from('second, longer'));
      assert.equal(
        Buffer.from(await store.getObject('contract/overwrite/a.txt')).toString(),
        'second, longer',
      );
    });

    test('list is recursive, sorted, uses plain string prefixes and reports sizes', async () => {
      const keys = [
        'contract/list/b/2.bin',
        'contract/list/a.bin',
        'contract/list/b/1.bin',
        'contract/list/bc.bin',
      ];
      for (const [index, key] of keys.entries()) await store.putObject(key, new Uint8Array(index + 1));
      await store.putObject('contract/listing-other/x.bin', new Uint8Array(1));
      const all = await store.list('contract/list/');
      assert.deepEqual(
        all.map((item) => item.key),
        ['contract/list/a.bin', 'contract/list/b/1.bin', 'contract/list/b/2.bin', 'contract/list/bc.bin'],
      );
      assert.deepEqual(
        all.map((item) => item.size),
        [2, 3, 1, 4],
      );
      assert.ok(
        all.every((item) => item.lastModified instanceof Date && !Number.isNaN(item.lastModified.getTime())),
      );
      assert.deepEqual(
        (await store.list('contract/list/b')).map((item) => item.key),
        ['contract/list/b/1.bin', 'contract/list/b/2.bin', 'contract/list/bc.bin'],
      );
      assert.deepEqual(await store.list('contract/nothing-here/'), []);
    });

    test('listPrefixes returns only the next-level folders that hold objects', async () => {
      await store.putObject('contract/tree/r1/t0/x.bin', new Uint8Array(1));
      await store.putObject('contract/tree/r2/y.bin', new Uint8Array(1));
      await store.putObject('contract/tree/file.bin', new Uint8Array(1));
      assert.deepEqual(await store.listPrefixes('contract/tree/'), [
        'contract/tree/r1/',
        'contract/tree/r2/',
      ]);
      assert.ok((await store.listPrefixes('')).includes('contract/'));
      assert.deepEqual(await store.listPrefixes('contract/no-such-folder/'), []);
    });

    test('delete removes objects, ignores missing keys, and emptied folders disappear', async () => {
      await store.putObject('contract/delete/keep.bin', new Uint8Array(1));
      await store.putObject('contract/delete/gone/a.bin', new Uint8Array(1));
      await store.putObject('contract/delete/gone/b.bin', new Uint8Array(1));
      await store.delete([
        'contract/delete/gone/a.bin',
        'contract/delete/gone/b.bin',
        'contract/delete/never.bin',
      ]);
      assert.deepEqual(
        (await store.list('contract/delete/')).map((item) => item.key),
        ['contract/delete/keep.bin'],
      );
      assert.deepEqual(await store.listPrefixes('contract/delete/'), []);
      await store.delete([]);
    });

    test('keys with spaces and non-ASCII letters work; unsafe keys are rejected before any I/O', async () => {
      const key = 'contract/names/class a/bild ä 1.jpg';
      await store.putObject(key, Buffer.from('x'));
      assert.equal(Buffer.from(await store.getObject(key)).toString(), 'x');
      for (const bad of [
        '../escape',
        '/absolute',
        'a//b',
        'a/./b',
        'trailing/',
        '',
        'back\\slash',
        '.amto-tmp/x',
      ]) {
        await assert.rejects(
          store.putObject(bad, new Uint8Array(1)),
          InvalidKeyError,
          `key ${JSON.stringify(bad)}`,
        );
      }
    });

    test('concurrent writers of different keys all land intact', async () => {
      const payloads = Array.from({ length: 16 }, (_, i) => ({
        key: `contract/concurrent/t${i % 4}/object-${i}.bin`,
        bytes: randomBytes(10_000 + i),
      }));
      await Promise.all(payloads.map(({ key, bytes }) => store.putObject(key, bytes)));
      for (const { key, bytes } of payloads) {
        assert.deepEqual(Buffer.from(await store.getObject(key)), bytes);
      }
      assert.equal((await store.list('contract/concurrent/')).length, payloads.length);
    });
  });
}
