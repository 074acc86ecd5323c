/**
 * Faults of the servers a run depends on, on a private Temporal dev server (SQLite) and a private MinIO
 * that the test kills, freezes and restarts, with real `amto worker` processes (WASM):
 *  - Temporal SIGKILLed mid-round and restarted on the same SQLite file;
 *  - MinIO SIGKILLed mid-round and restarted on the same data directory;
 *  - MinIO frozen (SIGSTOP) for longer than the store's 30 s request timeout;
 *  - the workflow terminated mid-round, then `amto resume <workflowId>` from the saved run state, and
 *    the run found by that workflow id for `amto pause|stop|status|report`.
 * Each must end with the decisions and losses of an undisturbed run of the same seed. The workers train
 * on the default backend (native TensorFlow; the graph engine for small-cnn): nothing here needs a kill
 * to land inside a chunk.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { pauseSignal, progressQuery } from '../../workflows/messages';
import { amtoCli, assertNothingLost, finishedRun, longForm, pendingBeats, waitFor } from './fault-run';
import { FaultSuite, type FaultRun } from './fault-suite';
import { PrivateServers } from './private-servers';

let servers: PrivateServers;
let suite: FaultSuite;

/** The terminate-and-resume scenario pauses its resumed run after round 2, so it needs a third. */
const terminatedRounds = longForm ? 4 : 3;

before(async () => {
  servers = await PrivateServers.start();
  suite = await FaultSuite.start({
    label: 'srv',
    environment: servers.environment,
    hostOf: () => ({ prefix: [], env: servers.env }),
    referenceRounds: terminatedRounds,
  });
});

after(async () => {
  await suite?.stop();
  await servers?.stop();
});

function amto(args: string[]): Promise<{ code: number | null; output: string }> {
  return amtoCli(args, servers.env);
}

/** Mid-round: a training interval has heartbeated. */
async function midRound(run: FaultRun): Promise<void> {
  await waitFor('a training heartbeat', 240_000, async () =>
    (await pendingBeats(run.handle)).some((beat) => beat.lastHeartbeatMs > 0) ? true : undefined,
  );
}

/** The workflow's result, asked again while the server it long-polls restarts. */
async function resultThroughOutages(workflowId: string, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await suite.client.workflow.getHandle(workflowId).result();
      return;
    } catch (error) {
      if (Date.now() > deadline || (error as Error).name === 'WorkflowFailedError') {
        throw new Error(`${String(error)}\n${suite.fleet.output()}`);
      }
      await sleep(1000);
    }
  }
}

/** Starts a run, injects the fault mid-round, and checks the run finishes with nothing lost. */
async function survives(label: string, inject: () => Promise<void>): Promise<void> {
  const run = await suite.startRun(label);
  await midRound(run);
  await inject();
  await resultThroughOutages(run.handle.workflowId);
  await suite.assertLostNothing(run);
}

describe('server faults', () => {
  test('workflow terminated mid-run, then `amto resume|pause|stop|status|report <workflowId>`: the same decisions', async () => {
    const { deps, client } = suite;
    // Started under a workflow id of the user's choosing (as `temporal workflow start --workflow-id` does).
    const run = await suite.startRun('terminated', {
      rounds: terminatedRounds,
      workflowIdFor: (id) => `my-run-${id}`,
    });
    const { runId, config, handle } = run;
    // Terminate in round 2, after round 1's run state was saved.
    await waitFor('round 1 saved', 240_000, async () =>
      (await deps.runStates.loadLatestRunState(runId).catch(() => null)) === null ? undefined : true,
    );
    await midRound(run);
    await handle.terminate('fault test: the workflow is lost');
    // Every command below is given the user's workflow id, never the run id.
    const resumedId = `amto-${runId}-resumed-1`;
    const resuming = amto([
      'resume',
      handle.workflowId,
      '--task-queue',
      suite.fleet.control,
      '--detach',
      '--json',
    ]);
    // Hold the resumed run after its round 2: paused while round 2 trains (a signal sent here lands
    // long before a round can end; a CLI started now could come after it on a loaded machine).
    // `amto pause` below then finds the run again by the user's workflow id.
    await waitFor('the resumed run to train round 2', 240_000, async () => {
      const training = await client.workflow
        .getHandle(resumedId)
        .describe()
        .then(
          ({ raw }) => (raw.pendingActivities ?? []).length > 0,
          () => false,
        );
      return training ? true : undefined;
    });
    await client.workflow.getHandle(resumedId).signal(pauseSignal);
    const resumed = await resuming;
    assert.equal(resumed.code, 0, resumed.output);
    assert.deepEqual(
      (({ runId: id, workflowId }) => [id, workflowId])(
        JSON.parse(resumed.output) as { runId: string; workflowId: string },
      ),
      [runId, resumedId],
    );
    // pause and stop find the resumed workflow by the user's id: it holds after round 2, then stops there.
    const paused = await amto(['pause', handle.workflowId]);
    assert.equal(paused.code, 0, paused.output);
    assert.match(paused.output, new RegExp(`Run ${runId} will pause before its next round`));
    await waitFor('the resumed run to pause after round 2', 240_000, async () => {
      const progress = await client.workflow.getHandle(resumedId).query(progressQuery);
      return progress.phase === 'paused' && progress.round === 2 ? true : undefined;
    });
    const stopped = await amto(['stop', handle.workflowId]);
    assert.equal(stopped.code, 0, stopped.output);
    assert.match(stopped.output, new RegExp(`Run ${runId} will stop after round 2,`));
    const result = await suite.resultOf(client.workflow.getHandle(resumedId));
    assert.deepEqual([result.rounds, result.stopReason], [2, 'stopped-by-user']);
    const status = await amto(['status', handle.workflowId, '--json']);
    assert.equal(status.code, 0, status.output);
    const shown = JSON.parse(status.output) as { runId: string; workflowId: string; status: string };
    assert.deepEqual([shown.runId, shown.workflowId, shown.status], [runId, resumedId, 'COMPLETED']);
    const faulted = await finishedRun(deps, client.workflow.getHandle(resumedId), runId, 2);
    // The resumed workflow's history holds only the rounds it ran; the per-round documents hold all.
    assert.deepEqual(
      faulted.documents.map((document) => document.workflowId),
      [handle.workflowId, resumedId],
    );
    await assertNothingLost(deps, { ...faulted, intervals: [] }, await suite.reference, config);
    // The report, from the store's per-round documents, of the run the workflow id names.
    const out = mkdtempSync(join(tmpdir(), 'amto-fault-report-'));
    try {
      const report = await amto(['report', handle.workflowId, '--out', out, '--json']);
      assert.equal(report.code, 0, report.output);
      const files = JSON.parse(report.output) as { html: string; pngs: string[] };
      assert.ok(files.html.startsWith(out) && existsSync(files.html), files.html);
      assert.match(readFileSync(files.html, 'utf8'), new RegExp(`<h1>AMTO run <code>${runId}</code></h1>`));
      assert.ok(files.pngs.length > 0 && files.pngs.every((png) => existsSync(png)));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  test('Temporal dev server SIGKILLed mid-round and restarted on its SQLite file: nothing lost', () =>
    survives('temporal', async () => {
      await servers.kill('temporal');
      await sleep(longForm ? 15_000 : 5_000);
      await servers.restart();
      await suite.reconnect();
    }));

  test('MinIO SIGKILLed mid-round and restarted on its data: nothing lost', () =>
    survives('minio', async () => {
      await servers.kill('minio');
      await sleep(longForm ? 30_000 : 10_000);
      await servers.restart();
    }));

  test('MinIO frozen (SIGSTOP) past the 30 s store request timeout, then thawed: nothing lost', () =>
    survives('frozen', async () => {
      await servers.signal('minio', 'SIGSTOP');
      try {
        await sleep(longForm ? 90_000 : 35_000);
      } finally {
        await servers.signal('minio', 'SIGCONT');
      }
    }));
});
