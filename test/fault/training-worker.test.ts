/**
 * Faults of training workers, on real `amto worker` processes (WASM), the Temporal dev server and MinIO,
 * each compared with an undisturbed run of the same seed:
 *  - SIGKILL mid-chunk, after a timer heartbeat that came after the chunk's resume point was recorded
 *    (the case where a heartbeat once claimed more steps than its checkpoint held);
 *  - every training worker down for a while, then back;
 *  - an in-interval checkpoint corrupted behind the system's back, then the worker killed: the retry
 *    recovers by restarting the interval from its round-start checkpoint (only compute is lost);
 *  - a round-end checkpoint corrupted while the run is paused: the run fails at once with
 *    CorruptCheckpoint naming the key (it is the only copy of that model; silently training from an
 *    older round would change the run's decisions);
 *  - a training worker OOM-killed by the kernel (cgroup memory limit) while loading its data;
 *  - the store's disk full while checkpoints are written (a tmpfs as AMTO_STORE_DIR).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { loadEnvironment } from '../../infra/environment';
import type { ObjectStore } from '../../storage/object-store';
import { pauseSignal, progressQuery, resumeSignal } from '../../workflows/messages';
import { createActivityDeps } from '../../workers/create-deps';
import { startWorkerFleet, wasmHost } from '../helpers/worker-processes';
import { amtoCli, listedAs, longForm, pendingBeats, waitFor } from './fault-run';
import { FaultSuite } from './fault-suite';

let suite: FaultSuite;

before(async () => {
  suite = await FaultSuite.start({ label: 'fault', environment: loadEnvironment(), hostOf: wasmHost });
});

after(async () => {
  await suite?.stop();
});

/** Flips the bytes of a checkpoint's largest file in place: same size, same key, wrong content. */
async function corruptCheckpoint(store: ObjectStore, key: string): Promise<string> {
  const files = (await store.list(`${key}/`)).filter((object) => !object.key.endsWith('manifest.json'));
  const largest = files.sort((a, b) => b.size - a.size)[0];
  assert.ok(largest, `checkpoint ${key} has files`);
  const bytes = Buffer.from(await store.getObject(largest.key));
  for (let i = 0; i < bytes.length; i += 97) bytes[i] = (bytes[i] ?? 0) ^ 0xff;
  await store.putObject(largest.key, bytes);
  return largest.key;
}

async function masterResumePoint(handle: WorkflowHandle) {
  return waitFor('a master heartbeat naming an in-interval checkpoint', 240_000, async () =>
    (await pendingBeats(handle)).find(
      (beat) => beat.activityId !== '' && beat.resumePoint?.checkpoint.includes('/partial/master/') === true,
    ),
  );
}

describe('training worker faults', () => {
  test("the store's disk full while checkpoints are written: the run says it is retrying, then finishes, nothing lost", async () => {
    const mount = mkdtempSync(join(tmpdir(), 'amto-fault-disk-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=96m', 'tmpfs', mount]);
    const env = { ...process.env, AMTO_STORE_DIR: mount };
    const diskDeps = createActivityDeps(loadEnvironment(env));
    // On WASM like the suite's fleet, whose reference run it is compared with (backends differ in the last bits).
    const diskFleet = await startWorkerFleet(`amto-disk-${randomUUID().slice(0, 8)}`, undefined, () => ({
      ...wasmHost(),
      env,
    }));
    const filler = join(mount, 'filler');
    try {
      // Its own fleet and store: it runs beside the reference run on the suite's fleet.
      const run = await suite.startRun('disk', { on: diskFleet, besideReference: true });
      const { handle } = run;
      await masterResumePoint(handle);
      // Fill what is left; the next checkpoint write fails with ENOSPC.
      execFileSync('sh', ['-c', `dd if=/dev/zero of=${filler} bs=1M 2>/dev/null || true`]);
      const retrying = await waitFor('the progress query to show a retrying activity', 120_000, async () =>
        (await handle.query(progressQuery)).retrying.find((activity) =>
          /ENOSPC|no space/i.test(activity.lastError ?? ''),
        ),
      );
      assert.ok(retrying.attempt >= 2);
      // `amto status` says so too, with the attempt and the error.
      const status = await amtoCli(['status', handle.workflowId], env);
      assert.match(
        status.output,
        /retrying trainInterval \(activity \d+\), attempt \d+ since .*(ENOSPC|no space)/i,
        status.output,
      );
      // The web UI's list of stalled runs (the same visibility query) holds it while it retries.
      assert.ok(
        await listedAs(suite.client, handle.workflowId, true),
        'listed by AmtoRetrying = true while retrying',
      );
      rmSync(filler);
      await suite.resultOf(handle, diskFleet);
      assert.deepEqual((await handle.query(progressQuery)).retrying, [], 'nothing retrying at the end');
      assert.ok(
        await listedAs(suite.client, handle.workflowId, false),
        'listed by AmtoRetrying = false once finished',
      );
      assert.deepEqual(readdirSync(join(mount, '.amto-tmp')), [], 'no half-written object left behind');
      await suite.assertLostNothing(run, diskDeps);
    } finally {
      await diskFleet.stop();
      execFileSync('umount', [mount]);
      rmSync(mount, { recursive: true, force: true });
    }
  });

  test('SIGKILL mid-chunk after a heartbeat naming an in-interval checkpoint: resumes at the checkpoint step, nothing lost', async () => {
    const { fleet, deps } = suite;
    const run = await suite.startRun('kill');
    // A master interval with a recorded resume point: the worker is now training the next chunk, past
    // the checkpoint's step. (A chunk of this config can end within one 5 s timer beat on a quiet
    // machine, so the kill comes as soon as the resume point is seen, while the chunk still runs.)
    const { resumePoint } = await masterResumePoint(run.handle);
    await fleet.kill('master');
    assert.ok(resumePoint !== null);
    // The heartbeat names the checkpoint and the step *of that checkpoint*, not the steps done since.
    assert.equal(resumePoint.step, run.config.checkpoint?.everySteps, "the first chunk's end");
    assert.equal(
      (await deps.checkpoints.loadCheckpoint(resumePoint.checkpoint)).step,
      resumePoint.step,
      'the checkpoint holds the step its heartbeat names',
    );
    await fleet.restart('master');
    await suite.resultOf(run.handle);
    const faulted = await suite.assertLostNothing(run);
    const resumed = faulted.intervals.filter((result) => result.resumedFromStep !== null);
    assert.equal(resumed.length, 1, 'exactly one interval resumed from an in-interval checkpoint');
    assert.equal(resumed[0]?.resumedFromStep, resumePoint.step, 'resumed at the checkpoint step');
  });

  test('every training worker down for a while: the run waits, then finishes with nothing lost', async () => {
    const { fleet } = suite;
    const run = await suite.startRun('down');
    await waitFor('training to start', 240_000, async () =>
      (await pendingBeats(run.handle)).some((beat) => beat.lastHeartbeatMs > 0) ? true : undefined,
    );
    await Promise.all([fleet.kill('master'), fleet.kill('slave')]);
    await sleep(longForm ? 120_000 : 10_000);
    await Promise.all([fleet.restart('master'), fleet.restart('slave')]);
    await suite.resultOf(run.handle);
    await suite.assertLostNothing(run);
  });

  test('an in-interval checkpoint corrupted, then the worker killed: the retry restarts the interval, nothing lost', async () => {
    const { fleet, deps } = suite;
    const run = await suite.startRun('corrupt-partial');
    const point = await masterResumePoint(run.handle);
    await corruptCheckpoint(deps.store, point.resumePoint?.checkpoint as string);
    await fleet.kill('master');
    await fleet.restart('master');
    await suite.resultOf(run.handle);
    const faulted = await suite.assertLostNothing(run);
    assert.ok(
      faulted.intervals.every((result) => result.resumedFromStep === null),
      'no interval resumed from the corrupt checkpoint',
    );
    assert.match(fleet.output(), /in-interval checkpoint unusable; restarting the interval/);
  });

  test('a round-end checkpoint corrupted while paused: CorruptCheckpoint naming the key, at once', async () => {
    const { deps } = suite;
    // Two rounds: the run pauses between them.
    const { runId, handle } = await suite.startRun('corrupt-round', { rounds: 2 });
    // Pause during round 1 (a pause signalled earlier would hold before round 1).
    await masterResumePoint(handle);
    await handle.signal(pauseSignal);
    await waitFor('the run to pause after round 1', 240_000, async () =>
      (await handle.query(progressQuery)).phase === 'paused' ? true : undefined,
    );
    const { state } = (
      await deps.runStates.loadLatestRunState<{ state: { tasks: { checkpoint: string }[] } }>(runId)
    ).state;
    const key = state.tasks[0]?.checkpoint as string;
    const file = await corruptCheckpoint(deps.store, key);
    const unpaused = Date.now();
    await handle.signal(resumeSignal);
    const error = await handle.result().then(
      () => assert.fail('a corrupt round-end checkpoint must fail the run'),
      (failure: unknown) => failure,
    );
    assert.ok(error instanceof WorkflowFailedError);
    const cause = error.cause?.cause as { type?: string; message: string } | undefined;
    assert.equal(cause?.type, 'CorruptCheckpoint', String(error.cause?.cause));
    assert.ok(cause?.message.includes(key) || cause?.message.includes(file), cause?.message);
    assert.ok(Date.now() - unpaused < 60_000, 'failed without retrying');
  });

  test('a training worker OOM-killed by the kernel (cgroup memory limit): nothing lost', async () => {
    const { fleet } = suite;
    const cgroup = `/sys/fs/cgroup/memory/amto-fault-${randomUUID().slice(0, 8)}`;
    mkdirSync(cgroup);
    try {
      // A fresh worker: one that trained before holds its decoded dataset already.
      await fleet.kill('master');
      await fleet.restart('master');
      const pid = fleet.pid('master');
      assert.ok(pid !== undefined);
      writeFileSync(join(cgroup, 'cgroup.procs'), String(pid));
      // Room to poll, not to decode the dataset and build the model: the first interval's load kills it.
      const idle = Number(readFileSync(join(cgroup, 'memory.usage_in_bytes'), 'utf8'));
      writeFileSync(join(cgroup, 'memory.limit_in_bytes'), String(idle + 48 * 1024 * 1024));
      const run = await suite.startRun('oom');
      await waitFor('the kernel to OOM-kill the master worker', 240_000, async () =>
        /oom_kill [1-9]/.test(readFileSync(join(cgroup, 'memory.oom_control'), 'utf8')) ? true : undefined,
      );
      await fleet.kill('master');
      assert.equal(fleet.endOf('master'), 'SIGKILL', 'the OOM killer sends SIGKILL');
      await fleet.restart('master');
      await suite.resultOf(run.handle);
      await suite.assertLostNothing(run);
    } finally {
      for (const pid of readFileSync(join(cgroup, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
        writeFileSync('/sys/fs/cgroup/memory/cgroup.procs', pid);
      }
      rmdirSync(cgroup);
    }
  });
});
