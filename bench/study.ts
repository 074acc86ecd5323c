/**
 * The accuracy study (docs/study.md): real AMTO runs through the project's own client and workers, one
 * cell × seed at a time, seed-major so every finished seed is a complete set of pairs. Resumable: a run
 * whose record exists is skipped, and a run started before an interruption is followed to its end
 * instead of started again. Rewrites docs/study.md's tables and plot after every run.
 *
 *   nice -n 15 node --import tsx bench/study.ts [--seeds 5] [--seed-from 1] [--iterations 200] [--interval 40]
 *     [--subset 4000] [--test-subset 2000] [--batch 32] [--lr 0.05] [--cells sto,amto-4,...]
 *     [--tag name] [--deadline 2026-12-01T23:25:00Z] [--report-only]
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { AmtoTrainingResult } from '../activities/contracts';
import { loadRoundDocuments } from '../cli/run-state-documents';
import { spawnWorkerProcess, waitUntilPolling, type WorkerProcess } from '../cli/worker-processes';
import { startRun } from '../cli/start-run';
import { connectTemporal, workflowIdOf } from '../cli/temporal-client';
import { loadEnvironment } from '../infra/environment';
import { startServers } from '../infra/servers';
import type { WorkerRole } from '../workers/worker-role';
import { createActivityDeps } from '../workers/create-deps';
import { cellConfig, studyCells, studyRunId, type StudyBudget, type StudyCell } from './study/cells';
import { mean } from './study/stats';
import { writeFormatted, writeStudyReport, type StudyRecord } from './study/report';

const repoRoot = join(__dirname, '..');
const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '5' },
    'seed-from': { type: 'string', default: '1' },
    iterations: { type: 'string', default: '200' },
    interval: { type: 'string', default: '40' },
    subset: { type: 'string', default: '4000' },
    'test-subset': { type: 'string', default: '2000' },
    batch: { type: 'string', default: '32' },
    lr: { type: 'string', default: '0.05' },
    cells: { type: 'string', default: studyCells.map((cell) => cell.name).join(',') },
    tag: { type: 'string', default: 'v1' },
    deadline: { type: 'string' },
    'report-only': { type: 'boolean', default: false },
  },
});

const budget: StudyBudget = {
  iterations: Number(values.iterations),
  interval: Number(values.interval),
  subset: Number(values.subset),
  testSubset: Number(values['test-subset']),
  batchSize: Number(values.batch),
  learningRate: Number(values.lr),
};
const resultsDir = join(repoRoot, 'bench', 'study', 'results', values.tag);
const docPath = join(repoRoot, 'docs', 'study.md');
const pngPath = join(repoRoot, 'docs', 'images', 'study-accuracy.png');

/** An `amto worker` of the study, started the way a user starts one. */
function spawnWorker(role: WorkerRole, taskQueue: string): WorkerProcess {
  return spawnWorkerProcess(role, taskQueue, {
    entry: 'cli/main.ts',
    execArgv: ['--import', 'tsx'],
    cwd: repoRoot,
  });
}

/** Follows a run started earlier (by an interrupted study) or starts it. */
async function runToEnd(
  client: Client,
  environment: ReturnType<typeof loadEnvironment>,
  cell: StudyCell,
  seed: number,
  queues: { control: string; master: string; slave: string },
): Promise<{ result: AmtoTrainingResult; runId: string }> {
  const runId = studyRunId(cell, seed, values.tag);
  const handle = client.workflow.getHandle(workflowIdOf(runId));
  let status: string | undefined;
  try {
    status = (await handle.describe()).status.name;
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
  }
  // Running or completed: follow it. Absent, failed, terminated: start it (again).
  if (status !== 'RUNNING' && status !== 'COMPLETED') {
    await startRun(
      client,
      environment,
      { ...cellConfig(cell, seed, budget, queues, runId), runId },
      queues.control,
    );
  }
  return { result: (await handle.result()) as AmtoTrainingResult, runId };
}

async function main(): Promise<void> {
  mkdirSync(resultsDir, { recursive: true });
  if (values['report-only']) {
    await writeStudyReport(resultsDir, docPath, pngPath);
    return;
  }
  // Seeds seed-from … seeds: a second study process can take the last seeds while the first runs.
  const firstSeed = Number(values['seed-from']);
  const seeds = Array.from({ length: Number(values.seeds) - firstSeed + 1 }, (_, i) => firstSeed + i);
  const cells = values.cells.split(',').map((name) => {
    const cell = studyCells.find((c) => c.name === name);
    if (cell === undefined)
      throw new Error(`--cells: unknown cell "${name}" (cells: ${studyCells.map((c) => c.name).join(', ')})`);
    return cell;
  });
  const deadline = values.deadline === undefined ? null : Date.parse(values.deadline);
  const environment = loadEnvironment();
  await startServers(environment);
  const deps = createActivityDeps(environment);
  const session = await connectTemporal(environment);
  const id = randomUUID().slice(0, 8);
  const queues = { control: `study-${id}`, master: `study-${id}-master`, slave: `study-${id}-slave` };
  const workers = [
    spawnWorker('control', queues.control),
    spawnWorker('master', queues.master),
    spawnWorker('slave', queues.slave),
  ];
  const deadlineToPoll = Date.now() + 180_000;
  await Promise.all(workers.map((worker) => waitUntilPolling(worker, deadlineToPoll)));
  const backend = /polling task queue "[^"]*" on (\S+)/.exec(workers[1]?.output() ?? '')?.[1] ?? 'unknown';
  console.log(`[study] workers on ${backend}; results in ${resultsDir}`);
  const plan = seeds.flatMap((seed) => cells.map((cell) => ({ seed, cell })));
  const durations: number[] = [];
  try {
    for (const [index, { seed, cell }] of plan.entries()) {
      const file = join(resultsDir, `${cell.name}-s${seed}.json`);
      const position = `${index + 1}/${plan.length}`;
      if (existsSync(file)) {
        console.log(`[study] ${position} ${cell.name} seed ${seed}: done earlier, skipped`);
        continue;
      }
      if (deadline !== null && Date.now() > deadline) {
        console.log(`[study] deadline ${values.deadline} passed: stopping before ${cell.name} seed ${seed}`);
        break;
      }
      const began = Date.now();
      const { result, runId } = await runToEnd(session.client, environment, cell, seed, queues);
      const documents = await loadRoundDocuments(deps.runStates, runId, result.rounds);
      const finalTasks = documents.at(-1)?.state.tasks ?? [];
      const record: StudyRecord = {
        cell: cell.name,
        seed,
        tasks: cell.tasks,
        budget,
        maxIterations: budget.iterations * cell.budgetFactor,
        backend,
        testAccuracy: result.testAccuracy ?? Number.NaN,
        harmonicAccuracy: result.harmonicAccuracy,
        finalValLoss: mean(
          finalTasks.flatMap((task) => (task.lastValLoss === null ? [] : [task.lastValLoss])),
        ),
        rounds: result.rounds,
        stopReason: result.stopReason,
        transfersTried: result.transfersTried,
        transfersAccepted: result.transfersAccepted,
        acceptedPerRound: documents.map(
          (document) =>
            document.state.history.at(-1)?.decisions.filter((decision) => decision.accepted).length ?? 0,
        ),
        seconds: (Date.now() - began) / 1000,
        finishedAt: new Date().toISOString(),
      };
      await writeFormatted(file, JSON.stringify(record));
      durations.push(record.seconds);
      await writeStudyReport(resultsDir, docPath, pngPath);
      console.log(
        `[study] ${position} ${cell.name} seed ${seed}: test ${(100 * record.testAccuracy).toFixed(2)} %, ` +
          `harmonic ${(100 * record.harmonicAccuracy).toFixed(2)} %, ${record.rounds} rounds, ` +
          `${record.transfersAccepted}/${record.transfersTried} transfers, ${record.seconds.toFixed(0)} s`,
      );
    }
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
    await session.close();
  }
  await writeStudyReport(resultsDir, docPath, pngPath);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
