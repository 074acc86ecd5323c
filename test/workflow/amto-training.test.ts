import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  NativeConnection,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import {
  applyRound,
  initialState,
  isFinished,
  parseRunConfig,
  planRound,
  type AmtoState,
  type RunConfig,
  type RunConfigInput,
  type TransferDecision,
} from '../../amto';
import { loadEnvironment } from '../../infra/environment';
import { pauseSignal, progressQuery, resumeSignal, stopUpdate } from '../../workflows/messages';
import { amtoTraining } from '../../workflows';
import {
  createMockActivities,
  scriptedPreparedRun,
  scriptedTrainResult,
  type MockRecorder,
} from './mock-activities';

const { temporal } = loadEnvironment();
Runtime.install({ logger: new DefaultLogger('WARN') });
let bundle: WorkflowBundleWithSourceMap;
let connection: Connection;
let client: Client;

before(async () => {
  bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
  });
  connection = await Connection.connect({ address: temporal.address });
  client = new Client({ connection, namespace: temporal.namespace });
});

after(async () => {
  await connection.close();
});

/** Runs `body` while a control worker (workflow + light activities) and master/slave workers poll unique queues. */
async function withWorkers<T>(
  recorder: MockRecorder,
  body: (queues: { control: string; master: string; slave: string }) => Promise<T>,
): Promise<T> {
  const id = randomUUID();
  const queues = { control: `wf-${id}`, master: `wf-${id}-master`, slave: `wf-${id}-slave` };
  const nativeConnection = await NativeConnection.connect({ address: temporal.address });
  try {
    const activities = createMockActivities(recorder);
    const workers = await Promise.all([
      Worker.create({
        connection: nativeConnection,
        taskQueue: queues.control,
        workflowBundle: bundle,
        activities,
      }),
      Worker.create({ connection: nativeConnection, taskQueue: queues.master, activities }),
      Worker.create({ connection: nativeConnection, taskQueue: queues.slave, activities }),
    ]);
    const done = body(queues).finally(() => workers.forEach((worker) => worker.shutdown()));
    // Wait for the workers to drain even when the body failed, then report the body's own outcome.
    const [outcome] = await Promise.allSettled([done, ...workers.map((worker) => worker.run())]);
    if (outcome.status === 'rejected') throw outcome.reason;
    return outcome.value as T;
  } finally {
    await nativeConnection.close();
  }
}

function configFor(
  queues: { master: string; slave: string },
  overrides: Partial<RunConfigInput> = {},
): RunConfigInput {
  return {
    runId: `wf-${randomUUID().slice(0, 8)}`,
    seed: 7,
    dataset: { kind: 'fashion-mnist', subset: 1000 },
    tasks: 3,
    interval: 10,
    maxIterations: 50,
    earlyStopping: { patience: 20 },
    queues: { master: queues.master, slave: queues.slave },
    ...overrides,
  };
}

/**
 * The same run computed directly with amto/'s step function and the scripted results; with one shared
 * initial checkpoint, a slave that starts from its master's own checkpoint has the master's result
 * (what deterministic training of it gives, and what the workflow reuses instead of training it).
 */
function expectedRun(
  config: RunConfig,
  sharedInitialCheckpoint = false,
): { state: AmtoState; decisions: TransferDecision[][] } {
  const initial = scriptedPreparedRun(config.tasks).initialCheckpoints;
  if (sharedInitialCheckpoint) initial.fill('r0/init');
  let state = initialState(config, initial);
  const decisions: TransferDecision[][] = [];
  while (!isFinished(state)) {
    const plan = planRound(state, config);
    const results = plan.assignments.map((assignment) => {
      const master = scriptedTrainResult({
        round: plan.round + 1,
        task: assignment.task,
        role: 'master',
        sourceTask: assignment.task,
      });
      return {
        task: assignment.task,
        master,
        slave:
          assignment.donor === null
            ? null
            : assignment.slaveFrom === assignment.masterFrom
              ? master
              : scriptedTrainResult({
                  round: plan.round + 1,
                  task: assignment.task,
                  role: 'slave',
                  sourceTask: assignment.donor,
                }),
      };
    });
    const applied = applyRound(state, config, plan, results);
    state = applied.state;
    decisions.push(applied.decisions);
  }
  return { state, decisions };
}

function parsed(input: RunConfigInput): RunConfig {
  const result = parseRunConfig(input);
  assert.ok(result.ok, result.ok ? '' : result.problems.join('; '));
  return result.config;
}

/** Runs the 5-round config on the mock activities; every round's decisions must equal amto/'s. */
async function runMatchingAmto(
  recorder: MockRecorder,
  queues: { control: string; master: string; slave: string },
) {
  const input = configFor(queues);
  const result = await client.workflow.execute(amtoTraining, {
    taskQueue: queues.control,
    workflowId: `amto-test-${randomUUID()}`,
    args: [input],
  });
  const expected = expectedRun(parsed(input), recorder.sharedInitialCheckpoint === true);
  const roundDocs = recorder.documents.filter((doc) => doc.result === null);
  assert.equal(roundDocs.length, 5);
  roundDocs.forEach((doc, round) => {
    assert.deepEqual(doc.state.history.at(-1)?.decisions, expected.decisions[round], `round ${round + 1}`);
  });
  return { result, expected, roundDocs };
}

describe('amtoTraining workflow (mocked activities, real dev server)', () => {
  test('donors, decisions, RL values and the result equal amto/ step by step', async () => {
    const recorder: MockRecorder = { trained: [], documents: [] };
    await withWorkers(recorder, async (queues) => {
      const { result, expected } = await runMatchingAmto(recorder, queues);
      const finalDoc = recorder.documents.at(-1);
      assert.deepEqual(
        finalDoc?.state.tasks.map((task) => task.relationship),
        expected.state.tasks.map((task) => task.relationship),
      );
      assert.equal(result.rounds, 5);
      assert.equal(result.iterations, 50);
      assert.equal(result.stopReason, 'budget');
      assert.equal(result.transfersTried, 15);
      assert.equal(result.transfersAccepted, expected.state.transfersAccepted);
      assert.equal(result.validationAccuracies.length, 3);
      assert.ok(result.checkpoint.startsWith('s3://mock/'));
      // Every slave started from its donor's current checkpoint, with the round's shared step window.
      const slaves = recorder.trained.filter((input) => input.role === 'slave');
      assert.equal(slaves.length, 15);
      for (const slave of slaves) assert.notEqual(slave.sourceTask, slave.task);
    });
  });

  test("sameInit: a slave starting from its master's own checkpoint is not trained; decisions as amto/ with its result = the master's", async () => {
    const recorder: MockRecorder = { trained: [], documents: [], sharedInitialCheckpoint: true };
    await withWorkers(recorder, async (queues) => {
      const { result, expected, roundDocs } = await runMatchingAmto(recorder, queues);
      // Round 1: every donor's checkpoint is the shared one, so no slave trained; r stayed put, none accepted.
      const firstRound = roundDocs[0]?.state.history.at(-1)?.decisions ?? [];
      assert.equal(firstRound.length, 3);
      for (const decision of firstRound) {
        assert.equal(decision.accepted, false);
        assert.equal(decision.slaveValLoss, decision.masterValLoss);
        assert.equal(decision.relationshipAfter, decision.relationshipBefore);
      }
      const slaves = recorder.trained.filter((trained) => trained.role === 'slave');
      assert.equal(slaves.filter((slave) => slave.round === 1).length, 0);
      assert.equal(slaves.length, 12, 'rounds 2-5 train their slaves');
      assert.equal(result.transfersTried, 15);
      assert.equal(result.transfersAccepted, expected.state.transfersAccepted);
    });
  });

  test('STO (tasks: 1) trains masters only', async () => {
    const recorder: MockRecorder = { trained: [], documents: [] };
    await withWorkers(recorder, async (queues) => {
      const result = await client.workflow.execute(amtoTraining, {
        taskQueue: queues.control,
        workflowId: `amto-test-${randomUUID()}`,
        args: [configFor(queues, { tasks: 1, maxIterations: 30 })],
      });
      assert.equal(result.rounds, 3);
      assert.equal(result.transfersTried, 0);
      assert.ok(recorder.trained.every((input) => input.role === 'master'));
    });
  });

  test('stop mid-run finishes the round in flight, then selects', async () => {
    let releaseRound2: () => void = () => undefined;
    const round2Started = new Promise<void>((resolve) => {
      releaseRound2 = resolve;
    });
    let allowFinish: () => void = () => undefined;
    const finishAllowed = new Promise<void>((resolve) => {
      allowFinish = resolve;
    });
    const recorder: MockRecorder = {
      trained: [],
      documents: [],
      beforeTrainReturns: async (input) => {
        if (input.round === 2) {
          releaseRound2();
          await finishAllowed;
        }
      },
    };
    await withWorkers(recorder, async (queues) => {
      const handle = await client.workflow.start(amtoTraining, {
        taskQueue: queues.control,
        workflowId: `amto-test-${randomUUID()}`,
        args: [configFor(queues, { maxIterations: 1000 })],
      });
      await round2Started;
      const progress = await handle.query(progressQuery);
      assert.equal(progress.round, 1);
      assert.equal(progress.phase, 'training');
      const { finishingRound } = await handle.executeUpdate(stopUpdate);
      assert.equal(finishingRound, 2);
      allowFinish();
      const result = await handle.result();
      assert.equal(result.stopReason, 'stopped-by-user');
      assert.equal(result.rounds, 2);
      assert.equal(recorder.trained.filter((input) => input.round === 3).length, 0);
    });
  });

  test('pause holds before the next round; resume continues to the end', async () => {
    let releaseRound1: () => void = () => undefined;
    const round1Released = new Promise<void>((resolve) => {
      releaseRound1 = resolve;
    });
    const recorder: MockRecorder = {
      trained: [],
      documents: [],
      beforeTrainReturns: async (input) => {
        if (input.round === 1) await round1Released;
      },
    };
    await withWorkers(recorder, async (queues) => {
      const handle = await client.workflow.start(amtoTraining, {
        taskQueue: queues.control,
        workflowId: `amto-test-${randomUUID()}`,
        args: [configFor(queues, { maxIterations: 30 })],
      });
      // Pause while round 1 trains: that round completes, round 2 must wait.
      while (recorder.trained.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
      await handle.signal(pauseSignal);
      releaseRound1();
      let progress = await handle.query(progressQuery);
      const deadline = Date.now() + 30_000;
      while (progress.phase !== 'paused') {
        assert.ok(Date.now() < deadline, `never paused: ${JSON.stringify(progress)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
        progress = await handle.query(progressQuery);
      }
      assert.equal(progress.round, 1);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.equal(
        recorder.trained.filter((input) => input.round === 2).length,
        0,
        'no round starts while paused',
      );
      await handle.signal(resumeSignal);
      const result = await handle.result();
      assert.equal(result.rounds, 3);
      assert.equal(result.stopReason, 'budget');
    });
  });

  test('continue-as-new keeps the state: same decisions as one long run', async () => {
    const recorder: MockRecorder = { trained: [], documents: [] };
    await withWorkers(recorder, async (queues) => {
      const input = configFor(queues, { continueAsNewEveryRounds: 2 });
      const workflowId = `amto-test-${randomUUID()}`;
      const result = await client.workflow.execute(amtoTraining, {
        taskQueue: queues.control,
        workflowId,
        args: [input],
      });
      const expected = expectedRun(parsed(input));
      assert.equal(result.rounds, 5);
      assert.equal(result.transfersAccepted, expected.state.transfersAccepted);
      const roundDocs = recorder.documents.filter((doc) => doc.result === null);
      roundDocs.forEach((doc, round) =>
        assert.deepEqual(doc.state.history.at(-1)?.decisions, expected.decisions[round]),
      );
      const description = await client.workflow.getHandle(workflowId).describe();
      assert.notEqual(description.runId, description.raw.workflowExecutionInfo?.firstRunId);
      // Only the last run's history: 5 rounds at 2 per run means two continue-as-new hops.
      let runs = 0;
      for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
        assert.equal(execution.workflowId, workflowId);
        runs += 1;
      }
      assert.equal(runs, 3);
    });
  });

  test('the AmtoDataset search attribute is the dataset name prepareRun gave, not the raw path', async () => {
    // The workflow used to name an image folder by its whole path ("/data/ucmerced/") while progress,
    // the report and the run state named it "ucmerced".
    const recorder: MockRecorder = { trained: [], documents: [] };
    await withWorkers(recorder, async (queues) => {
      const workflowId = `amto-test-${randomUUID()}`;
      await client.workflow.execute(amtoTraining, {
        taskQueue: queues.control,
        workflowId,
        args: [
          configFor(queues, {
            dataset: { kind: 'image-folder', path: '/data/ucmerced/' },
            maxIterations: 10,
          }),
        ],
      });
      const description = await client.workflow.getHandle(workflowId).describe();
      assert.deepEqual(description.searchAttributes['AmtoDataset'], ['ucmerced']);
      assert.equal(recorder.documents.at(-1)?.prepared.datasetName, 'ucmerced');
    });
  });

  test('a bad config fails at once, listing every problem', async () => {
    const recorder: MockRecorder = { trained: [], documents: [] };
    await withWorkers(recorder, async (queues) => {
      const bad = {
        dataset: { kind: 'fashion-mnist' },
        tasks: 0,
        interval: -1,
        queues: { master: queues.master, slave: queues.slave },
      } as unknown as RunConfigInput;
      const error = await client.workflow
        .execute(amtoTraining, {
          taskQueue: queues.control,
          workflowId: `amto-test-${randomUUID()}`,
          args: [bad],
        })
        .then(
          () => null,
          (failure: unknown) => failure,
        );
      assert.ok(error instanceof WorkflowFailedError, String(error));
      const cause = error.cause;
      assert.ok(cause instanceof ApplicationFailure);
      assert.equal(cause.type, 'InvalidRunConfig');
      assert.equal(cause.nonRetryable, true);
      assert.match(cause.message, /tasks/);
      assert.match(cause.message, /interval/);
      assert.equal(recorder.trained.length, 0);
    });
  });
});
