/**
 * Faults of training workers, on real `amto worker` processes (WASM), the Temporal dev server and MinIO,
 * each compared with an undisturbed run of the same seed:
 *  - SIGKILL mid-chunk, after a timer heartbeat that came after the chunk's resume point was recorded
 *    (the case where a heartbeat once claimed more steps than its checkpoint held);
 *  - every training worker down for a while, then back.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { loadEnvironment } from '../../infra/environment';
import { amtoTraining } from '../../workflows';
import { createActivityDeps } from '../../workers/create-deps';
import { startWorkerFleet, type WorkerFleet } from '../helpers/worker-processes';
import {
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
  fleet = await startWorkerFleet(`amto-fault-${randomUUID().slice(0, 8)}`);
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

function startFaultRun(label: string) {
  const runId = `fault-${label}-${randomUUID().slice(0, 8)}`;
  const config = faultConfig(runId, fleet.queues);
  return {
    runId,
    config,
    handle: client.workflow.start(amtoTraining, {
      taskQueue: fleet.control,
      workflowId: `amto-${runId}`,
      args: [config],
    }),
  };
}

describe('training worker faults', () => {
  test('SIGKILL mid-chunk after a heartbeat past the resume point: resumes at the checkpoint step, nothing lost', async () => {
    const { runId, config, handle: started } = startFaultRun('kill');
    const handle = await started;
    // A master interval with a recorded resume point, then a later timer heartbeat: the worker is now
    // training the next chunk, past the checkpoint's step.
    const pointSeen = await waitFor(
      'a master heartbeat naming an in-interval checkpoint',
      240_000,
      async () =>
        (await pendingBeats(handle)).find(
          (beat) =>
            beat.activityId !== '' && beat.resumePoint?.checkpoint?.includes('/partial/master/') === true,
        ),
    );
    const beatAfter = await waitFor('a timer heartbeat after the resume point', 30_000, async () =>
      (await pendingBeats(handle)).find(
        (beat) =>
          beat.activityId === pointSeen.activityId &&
          beat.lastHeartbeatMs > pointSeen.lastHeartbeatMs &&
          beat.resumePoint?.checkpoint === pointSeen.resumePoint?.checkpoint,
      ),
    );
    assert.equal(
      beatAfter.resumePoint?.step,
      pointSeen.resumePoint?.step,
      'the heartbeat names only the checkpoint step',
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
});
