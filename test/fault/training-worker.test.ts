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
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { loadEnvironment } from '../../infra/environment';
import type { ObjectStore } from '../../storage/object-store';
import { amtoTraining } from '../../workflows';
import { pauseSignal, progressQuery, resumeSignal } from '../../workflows/messages';
import { createActivityDeps } from '../../workers/create-deps';
import { startWorkerFleet, wasmHost, type WorkerFleet } from '../helpers/worker-processes';
import { loadEnvironment as environmentOf } from '../../infra/environment';
import {
  amtoCli,
  assertNothingLost,
  faultConfig,
  finishedRun,
  longForm,
  pendingBeats,
  referenceRun,
  roundsOf,
  waitFor,
  type FinishedRun,
} from './fault-run';

const environment = loadEnvironment();
const deps = createActivityDeps(environment);
let connection: Connection;
let client: Client;
let fleet: WorkerFleet;
let reference: FinishedRun;

before(async () => {
  connection = await Connection.connect({ address: environment.temporal.address });
  client = new Client({ connection, namespace: environment.temporal.namespace });
  fleet = await startWorkerFleet(`amto-fault-${randomUUID().slice(0, 8)}`, 120_000, wasmHost);
  const runId = `fault-ref-${randomUUID().slice(0, 8)}`;
  reference = await referenceRun(client, deps, fleet.control, faultConfig(runId, fleet.queues)).catch(
    (error: unknown) => {
      throw new Error(`${String(error)}\n${fleet.output()}`);
    },
  );
});

after(async () => {
  await fleet?.stop();
  await connection?.close();
});

function startFaultRun(label: string, on: WorkerFleet = fleet, rounds?: number) {
  const runId = `fault-${label}-${randomUUID().slice(0, 8)}`;
  const config = faultConfig(runId, on.queues, rounds);
  return {
    runId,
    config,
    handle: client.workflow.start(amtoTraining, {
      taskQueue: on.control,
      workflowId: `amto-${runId}`,
      args: [config],
    }),
  };
}

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

async function masterResumePoint(handle: Awaited<ReturnType<typeof startFaultRun>['handle']>) {
  return waitFor('a master heartbeat naming an in-interval checkpoint', 240_000, async () =>
    (await pendingBeats(handle)).find(
      (beat) => beat.activityId !== '' && beat.resumePoint?.checkpoint?.includes('/partial/master/') === true,
    ),
  );
}

describe('training worker faults', () => {
  test('SIGKILL mid-chunk after a heartbeat naming an in-interval checkpoint: resumes at the checkpoint step, nothing lost', async () => {
    const { runId, config, handle: started } = startFaultRun('kill');
    const handle = await started;
    // A master interval with a recorded resume point: the worker is now training the next chunk, past
    // the checkpoint's step. (A chunk of this config can end within one 5 s timer beat on a quiet
    // machine, so the kill comes as soon as the resume point is seen, while the chunk still runs.)
    const pointSeen = await waitFor(
      'a master heartbeat naming an in-interval checkpoint',
      240_000,
      async () =>
        (await pendingBeats(handle)).find(
          (beat) =>
            beat.activityId !== '' && beat.resumePoint?.checkpoint?.includes('/partial/master/') === true,
        ),
    );
    assert.equal(
      pointSeen.resumePoint?.step,
      config.checkpoint?.everySteps,
      'the heartbeat names the checkpoint and the step of that checkpoint, not the steps done since',
    );
    await fleet.kill('master');
    await fleet.restart('master');
    await handle.result().catch((error: unknown) => {
      throw new Error(`${String(error)}\n${fleet.output()}`);
    });
    const faulted = await finishedRun(deps, handle, runId, roundsOf(config));
    const resumed = faulted.intervals.filter((result) => result.resumedFromStep !== null);
    assert.equal(resumed.length, 1, 'exactly one interval resumed from an in-interval checkpoint');
    assert.equal(resumed[0]?.resumedFromStep, pointSeen.resumePoint?.step, 'resumed at the checkpoint step');
    await assertNothingLost(deps, faulted, reference, config);
  });

  test('every training worker down for a while: the run waits, then finishes with nothing lost', async () => {
    const { runId, config, handle: started } = startFaultRun('down');
    const handle = await started;
    await waitFor('training to start', 240_000, async () =>
      (await pendingBeats(handle)).some((beat) => beat.lastHeartbeatMs > 0) ? true : undefined,
    );
    await Promise.all([fleet.kill('master'), fleet.kill('slave')]);
    await sleep(longForm ? 120_000 : 10_000);
    await Promise.all([fleet.restart('master'), fleet.restart('slave')]);
    await handle.result().catch((error: unknown) => {
      throw new Error(`${String(error)}\n${fleet.output()}`);
    });
    await assertNothingLost(
      deps,
      await finishedRun(deps, handle, runId, roundsOf(config)),
      reference,
      config,
    );
  });

  test('an in-interval checkpoint corrupted, then the worker killed: the retry restarts the interval, nothing lost', async () => {
    const { runId, config, handle: started } = startFaultRun('corrupt-partial');
    const handle = await started;
    const point = await masterResumePoint(handle);
    await corruptCheckpoint(deps.store, point.resumePoint?.checkpoint as string);
    await fleet.kill('master');
    await fleet.restart('master');
    await handle.result().catch((error: unknown) => {
      throw new Error(`${String(error)}\n${fleet.output()}`);
    });
    const faulted = await finishedRun(deps, handle, runId, roundsOf(config));
    assert.ok(
      faulted.intervals.every((result) => result.resumedFromStep === null),
      'no interval resumed from the corrupt checkpoint',
    );
    assert.match(fleet.output(), /in-interval checkpoint unusable; restarting the interval/);
    await assertNothingLost(deps, faulted, reference, config);
  });

  test('a round-end checkpoint corrupted while paused: CorruptCheckpoint naming the key, at once', async () => {
    // Two rounds: the run pauses between them.
    const { runId, handle: started } = startFaultRun('corrupt-round', fleet, 2);
    const handle = await started;
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
      const { runId, config, handle: started } = startFaultRun('oom');
      const handle = await started;
      await waitFor('the kernel to OOM-kill the master worker', 240_000, async () =>
        /oom_kill [1-9]/.test(readFileSync(join(cgroup, 'memory.oom_control'), 'utf8')) ? true : undefined,
      );
      await fleet.kill('master');
      assert.equal(fleet.endOf('master'), 'SIGKILL', 'the OOM killer sends SIGKILL');
      await fleet.restart('master');
      await handle.result().catch((error: unknown) => {
        throw new Error(`${String(error)}\n${fleet.output()}`);
      });
      await assertNothingLost(
        deps,
        await finishedRun(deps, handle, runId, roundsOf(config)),
        reference,
        config,
      );
    } finally {
      for (const pid of readFileSync(join(cgroup, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
        writeFileSync('/sys/fs/cgroup/memory/cgroup.procs', pid);
      }
      rmdirSync(cgroup);
    }
  });

  test("the store's disk full while checkpoints are written: the run says it is retrying, then finishes, nothing lost", async () => {
    const mount = mkdtempSync(join(tmpdir(), 'amto-fault-disk-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=96m', 'tmpfs', mount]);
    const env = { ...process.env, AMTO_STORE_DIR: mount };
    const diskDeps = createActivityDeps(environmentOf(env));
    // On WASM like the suite's fleet, whose reference run it is compared with (backends differ in the last bits).
    const diskFleet = await startWorkerFleet(`amto-disk-${randomUUID().slice(0, 8)}`, 120_000, () => ({
      ...wasmHost(),
      env,
    }));
    const filler = join(mount, 'filler');
    try {
      const { runId, config, handle: started } = startFaultRun('disk', diskFleet);
      const handle = await started;
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
      rmSync(filler);
      await handle.result().catch((error: unknown) => {
        throw new Error(`${String(error)}\n${diskFleet.output()}`);
      });
      assert.deepEqual((await handle.query(progressQuery)).retrying, [], 'nothing retrying at the end');
      assert.deepEqual(readdirSync(join(mount, '.amto-tmp')), [], 'no half-written object left behind');
      await assertNothingLost(
        diskDeps,
        await finishedRun(diskDeps, handle, runId, roundsOf(config)),
        reference,
        config,
      );
    } finally {
      await diskFleet.stop();
      execFileSync('umount', [mount]);
      rmSync(mount, { recursive: true, force: true });
    }
  });
});
