import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { CheckpointStore } from '../../../storage/checkpoint-store';
import { checkpointKey, partialCheckpointKey, runStateKey, splitsKey } from '../../../storage/keys';
import { applyRetention } from '../../../storage/retention';
import { RunStateStore } from '../../../storage/run-state-store';
import { makeCheckpoint } from './checkpoint-fixtures';
import type { CheckpointFixture } from './checkpoint-fixtures';
import { storeKinds } from './storage-fixtures';
import type { DisposableStore } from './storage-fixtures';

const runId = 'retained';
const rounds = [0, 1, 2, 3, 4, 5];
const tasks = [0, 1];

for (const kind of storeKinds) {
  describe(`retention: ${kind.name}`, () => {
    let fixture: DisposableStore;
    let checkpoints: CheckpointStore;
    let made: CheckpointFixture;
    before(async () => {
      fixture = await kind.create();
      checkpoints = new CheckpointStore(fixture.store);
      made = await makeCheckpoint('small-cnn', 2, false);
      const keys = rounds.flatMap((round) =>
        tasks.flatMap((task) =>
          round === 0
            ? [checkpointKey(runId, 0, task, 'init')]
            : [checkpointKey(runId, round, task, 'master'), checkpointKey(runId, round, task, 'slave')],
        ),
      );
      await Promise.all(keys.map((key) => checkpoints.saveCheckpoint(key, made.checkpoint)));
      await checkpoints.saveCheckpoint(partialCheckpointKey(runId, 2, 0, 'master', 50), made.checkpoint);
      // An unfinished upload (no manifest) in an old round, and a similar-named key in another run.
      await fixture.store.putObject(
        `${checkpointKey(runId, 1, 1, 'slave')}-orphan/weights.bin`,
        new Uint8Array(8),
      );
      await checkpoints.saveCheckpoint(checkpointKey('other-run', 1, 0, 'master'), made.checkpoint);
      await new RunStateStore(fixture.store).writeRunState(runId, 5, { current: 'r5' });
      await fixture.store.putObject(splitsKey(runId), Buffer.from('{}'));
    });
    after(async () => {
      made.dispose();
      await fixture.dispose();
    });

    test('old rounds are deleted except every referenced checkpoint, which still loads', async () => {
      const best = checkpointKey(runId, 1, 0, 'master');
      const donor = checkpointKey(runId, 0, 1, 'init');
      const current = checkpointKey(runId, 5, 0, 'master');
      const result = await applyRetention(fixture.store, {
        runId,
        currentRound: 5,
        keepRounds: 2,
        referenced: [best, donor, current],
      });
      assert.deepEqual(result.prunedRounds, [0, 1, 2, 3]);
      assert.deepEqual(result.keptReferenced.sort(), [donor, best].sort());
      assert.ok(result.deletedObjects > 0 && result.deletedBytes > 0);

      for (const key of [best, donor, current]) {
        await checkpoints.loadCheckpoint(key); // throws if any of its objects went missing
      }
      const survivors = new Set<string>([best, donor]);
      for (const round of rounds) {
        for (const task of tasks) {
          const roles = round === 0 ? (['init'] as const) : (['master', 'slave'] as const);
          for (const role of roles) {
            const key = checkpointKey(runId, round, task, role);
            const expected = round >= 4 || survivors.has(key);
            assert.equal(await checkpoints.checkpointExists(key), expected, key);
            if (!expected) assert.deepEqual(await fixture.store.list(`${key}/`), [], `${key} fully deleted`);
          }
        }
      }
      assert.deepEqual(
        await fixture.store.list(`runs/${runId}/r2/`),
        [],
        'partial checkpoints of old rounds go',
      );
      assert.deepEqual(
        await fixture.store.list(`runs/${runId}/r1/t1/`),
        [],
        'unfinished uploads of old rounds go',
      );
      assert.equal(await checkpoints.checkpointExists(checkpointKey('other-run', 1, 0, 'master')), true);
      assert.equal(await fixture.store.exists(runStateKey(runId)), true);
      assert.equal(await fixture.store.exists(splitsKey(runId)), true);
    });

    test('running it again changes nothing; bad arguments are refused', async () => {
      const before = (await fixture.store.list(`runs/${runId}/`)).map((item) => item.key);
      const again = await applyRetention(fixture.store, {
        runId,
        currentRound: 5,
        keepRounds: 2,
        referenced: [checkpointKey(runId, 1, 0, 'master'), checkpointKey(runId, 0, 1, 'init')],
      });
      assert.equal(again.deletedObjects, 0);
      assert.deepEqual(
        (await fixture.store.list(`runs/${runId}/`)).map((item) => item.key),
        before,
      );
      await assert.rejects(
        applyRetention(fixture.store, { runId, currentRound: 5, keepRounds: 0, referenced: [] }),
        /keepRounds/,
      );
      await assert.rejects(
        applyRetention(fixture.store, {
          runId,
          currentRound: 5,
          keepRounds: 1,
          referenced: ['s3://b/runs/x'],
        }),
        /not allowed/,
      );
    });
  });
}
