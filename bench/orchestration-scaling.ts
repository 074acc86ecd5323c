/**
 * What orchestration alone costs as M grows: the real amtoTraining workflow on the real Temporal dev
 * server, with the workflow-test activities whose trainInterval only sleeps a fixed time (no training,
 * no storage). Per M: round wall time over the sleep, history events and bytes per round, and the
 * round at which each workflow run continued as new (and whether the server suggested it).
 *
 *   node --import tsx bench/orchestration-scaling.ts [--tasks 1,2,4,8,16,32] [--sleep-ms 1000]
 *     [--rounds 30] [--json]
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { RunConfigInput } from '../amto';
import { loadEnvironment } from '../infra/environment';
import { startServers, stopServers } from '../infra/servers';
import { createMockActivities, type MockRecorder } from '../test/workflow/mock-activities';
import { amtoTraining } from '../workflows';

interface RunOfChain {
  rounds: number;
  events: number;
  historyBytes: number;
  continuedAsNew: boolean;
  suggested: boolean;
}

interface ScalingResult {
  tasks: number;
  sleepMs: number;
  rounds: number;
  /** Wall time of rounds 2…R (between consecutive run-state writes) over the sleep. */
  medianRoundOverSleep: number;
  maxRoundOverSleep: number;
  eventsPerRound: number;
  historyBytesPerRound: number;
  runs: RunOfChain[];
}

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '1,2,4,8,16,32' },
    'sleep-ms': { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '30' },
    json: { type: 'boolean', default: false },
  },
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function measure(
  client: Client,
  connection: NativeConnection,
  bundle: Awaited<ReturnType<typeof bundleWorkflowCode>>,
  tasks: number,
  sleepMs: number,
  rounds: number,
): Promise<ScalingResult> {
  const id = randomUUID().slice(0, 8);
  const queues = { control: `scale-${id}`, master: `scale-${id}-master`, slave: `scale-${id}-slave` };
  const writes: number[] = [];
  const recorder: MockRecorder = {
    trained: [],
    documents: [],
    beforeTrainReturns: () => new Promise((resolve) => setTimeout(resolve, sleepMs)),
  };
  const scripted = createMockActivities(recorder);
  const activities = {
    ...scripted,
    writeRunState: async (input: Parameters<typeof scripted.writeRunState>[0]) => {
      writes.push(performance.now());
      await scripted.writeRunState(input);
    },
  };
  // Every interval of a round at once, as with 2M training workers.
  const workers = await Promise.all([
    Worker.create({ connection, taskQueue: queues.control, workflowBundle: bundle, activities }),
    Worker.create({
      connection,
      taskQueue: queues.master,
      activities,
      maxConcurrentActivityTaskExecutions: tasks,
    }),
    Worker.create({
      connection,
      taskQueue: queues.slave,
      activities,
      maxConcurrentActivityTaskExecutions: tasks,
    }),
  ]);
  const config: RunConfigInput = {
    runId: `scale-${id}`,
    dataset: { kind: 'fashion-mnist' },
    tasks,
    interval: 1,
    maxIterations: rounds,
    earlyStopping: { patience: rounds + 1 },
    queues: { master: queues.master, slave: queues.slave },
  };
  const workflowId = `amto-scale-${id}`;
  const running = workers.map((worker) => worker.run());
  let firstRunId: string;
  try {
    const started = await client.workflow.start(amtoTraining, {
      taskQueue: queues.control,
      workflowId,
      args: [config],
    });
    firstRunId = started.firstExecutionRunId;
    await started.result();
  } finally {
    for (const worker of workers) worker.shutdown();
    await Promise.all(running);
  }

  // Follow the continue-as-new chain from the first run.
  const runs: RunOfChain[] = [];
  let runId: string | undefined = firstRunId;
  while (runId !== undefined) {
    const handle = client.workflow.getHandle(workflowId, runId);
    const [history, description] = await Promise.all([handle.fetchHistory(), handle.describe()]);
    const events = history.events ?? [];
    let roundsOfRun = 0;
    let suggested = false;
    let next: string | undefined;
    for (const event of events) {
      if (event.activityTaskScheduledEventAttributes?.activityType?.name === 'writeRunState') roundsOfRun++;
      if (event.workflowTaskStartedEventAttributes?.suggestContinueAsNew) suggested = true;
      next = event.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? next;
    }
    runs.push({
      // The last run also writes the final document after selection.
      rounds: next === undefined ? roundsOfRun - 1 : roundsOfRun,
      events: events.length,
      historyBytes: Number(description.raw.workflowExecutionInfo?.historySizeBytes ?? 0),
      continuedAsNew: next !== undefined,
      suggested,
    });
    runId = next;
  }
  const roundTimes = writes.slice(1, rounds).map((time, i) => time - (writes[i] as number));
  const totalEvents = runs.reduce((sum, run) => sum + run.events, 0);
  const totalBytes = runs.reduce((sum, run) => sum + run.historyBytes, 0);
  return {
    tasks,
    sleepMs,
    rounds,
    medianRoundOverSleep: median(roundTimes) / sleepMs,
    maxRoundOverSleep: Math.max(...roundTimes) / sleepMs,
    eventsPerRound: totalEvents / rounds,
    historyBytesPerRound: totalBytes / rounds,
    runs,
  };
}

async function main(): Promise<void> {
  const taskCounts = values.tasks.split(',').map(Number);
  const sleepMs = Number(values['sleep-ms']);
  const rounds = Number(values.rounds);
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const environment = loadEnvironment();
  const started = await startServers(environment, () => undefined);
  const connection = await NativeConnection.connect({ address: environment.temporal.address });
  const clientConnection = await Connection.connect({ address: environment.temporal.address });
  const client = new Client({ connection: clientConnection, namespace: environment.temporal.namespace });
  try {
    const bundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('../workflows'),
      logger: new DefaultLogger('WARN'),
    });
    if (!values.json) {
      console.log(`sleep ${sleepMs} ms per interval, ${rounds} rounds, continueAsNewEveryRounds = 25`);
      console.log(
        '| M | intervals/round | round / sleep (median) | (max) | events/round | history bytes/round | runs: rounds (CAN suggested) |',
      );
      console.log('|---|---|---|---|---|---|---|');
    }
    for (const tasks of taskCounts) {
      const result = await measure(client, connection, bundle, tasks, sleepMs, rounds);
      if (values.json) console.log(JSON.stringify(result));
      else {
        const chain = result.runs
          .map((run) => `${run.rounds}${run.suggested ? ' (suggested)' : ''}`)
          .join(' → ');
        console.log(
          `| ${tasks} | ${2 * tasks - (tasks === 1 ? 1 : 0)} | ${result.medianRoundOverSleep.toFixed(3)} | ` +
            `${result.maxRoundOverSleep.toFixed(3)} | ${result.eventsPerRound.toFixed(1)} | ` +
            `${Math.round(result.historyBytesPerRound)} | ${chain} |`,
        );
      }
    }
  } finally {
    await clientConnection.close();
    await connection.close();
    if (started.length > 0) await stopServers(environment, started, () => undefined);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
