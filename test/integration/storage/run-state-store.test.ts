import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { RunNotFoundError, StorageError } from '../../../storage/errors';
import { runStateKey } from '../../../storage/keys';
import { RunStateStore } from '../../../storage/run-state-store';
import { storeKinds } from './storage-fixtures';
import type { DisposableStore } from './storage-fixtures';

for (const kind of storeKinds) {
  describe(`run state: ${kind.name}`, () => {
    let fixture: DisposableStore;
    let runs: RunStateStore;
    before(async () => {
      fixture = await kind.create();
      runs = new RunStateStore(fixture.store);
    });
    after(() => fixture.dispose());

    test('each round is written to its own document and to latest.json', async () => {
      const written0 = await runs.writeRunState('run-1', 0, { rl: [[0, 0]], best: 'runs/run-1/r0/t0/init' });
      assert.equal(written0.key, 'runs/run-1/state/round-0.json');
      await runs.writeRunState('run-1', 1, { rl: [[0, 0.5]], best: 'runs/run-1/r1/t0/master' });
      const latest = await runs.loadLatestRunState<{ rl: number[][]; best: string }>('run-1');
      assert.equal(latest.round, 1);
      assert.equal(latest.runId, 'run-1');
      assert.deepEqual(latest.state, { rl: [[0, 0.5]], best: 'runs/run-1/r1/t0/master' });
      assert.ok(!Number.isNaN(Date.parse(latest.writtenAt)));
      assert.deepEqual((await runs.loadRunState('run-1', 0)).state, {
        rl: [[0, 0]],
        best: 'runs/run-1/r0/t0/init',
      });
      assert.equal(await fixture.store.exists(runStateKey('run-1', 1)), true);
    });

    test('a late rewrite of an older round (a zombie retry) never moves latest backwards', async () => {
      await runs.writeRunState('run-2', 4, { round: 4 });
      const late = await runs.writeRunState('run-2', 3, { round: 3, late: true });
      assert.equal(late.latestUpdated, false);
      assert.equal((await runs.loadLatestRunState('run-2')).round, 4);
      assert.deepEqual((await runs.loadRunState('run-2', 3)).state, { round: 3, late: true });
      assert.equal((await runs.writeRunState('run-2', 4, { round: 4, again: true })).latestUpdated, true);
    });

    test('listRuns lists every run with its latest round, runs without state included', async () => {
      await fixture.store.putObject('runs/run-3/r0/t0/init/model.json', Buffer.from('{}'));
      const listed = await runs.listRuns();
      const byId = new Map(listed.map((run) => [run.runId, run]));
      assert.deepEqual([...byId.keys()].sort(), ['run-1', 'run-2', 'run-3']);
      assert.equal(byId.get('run-1')?.latestRound, 1);
      assert.equal(byId.get('run-2')?.latestRound, 4);
      assert.equal(byId.get('run-3')?.latestRound, null);
      assert.equal(byId.get('run-3')?.updatedAt, null);
    });

    test('an unknown run is a RunNotFoundError naming it and the runs that exist', async () => {
      await assert.rejects(runs.loadLatestRunState('no-such-run'), (error: unknown) => {
        assert.ok(error instanceof RunNotFoundError);
        assert.match(error.message, /"no-such-run"/);
        assert.match(error.message, /runs\/no-such-run\/state\/latest\.json/);
        assert.match(error.message, /Stored runs: .*run-1/);
        return true;
      });
      await assert.rejects(runs.loadRunState('run-1', 7), /round 7/);
    });

    test('state that is not JSON, or bad run ids, are refused clearly', async () => {
      await assert.rejects(runs.writeRunState('run-4', 0, { n: 1n }), StorageError);
      await assert.rejects(runs.writeRunState('../escape', 0, {}), /run id/);
      await assert.rejects(runs.writeRunState('run-4', -1, {}), /round/);
    });
  });
}
