/**
 * The accuracy study (docs/study.md): real AMTO runs through the project's own client and workers, one
 * cell × seed at a time, seed-major so every finished seed is a complete set of pairs. Resumable: a run
 * whose record exists is skipped, and a run started before an interruption is followed to its end
 * instead of started again. Rewrites docs/study.md's tables and plot after every run.
 *
 *   nice -n 15 node --import tsx bench/study.ts [--seeds 5] [--seed-from 1] [--iterations 200] [--interval 40]
 *     [--subset 4000] [--test-subset 2000] [--batch 32] [--lr 0.05] [--cells sto,amto-4,...]
 *     [--tag name] [--engine auto|graph|tfjs] [--deadline 2026-12-01T23:25:00Z] [--report-only]
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadLatestDocument, loadRoundDocuments } from '../cli/run-state-documents';
import { connectTemporal } from '../cli/temporal-client';
import { loadEnvironment } from '../infra/environment';
import { startServers } from '../infra/servers';
import { RunNotFoundError } from '../storage/errors';
import type { RunStateStore } from '../storage/run-state-store';
import { createActivityDeps } from '../workers/create-deps';
import { cellConfig, studyCells, studyRunId, type StudyBudget } from './study/cells';
import { mean } from './study/stats';
import { writeFormatted, writeStudyReport, type StudyRecord } from './study/report';
import { runToEnd, startFleet } from './study/run-driver';

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
    // The training workers' engine (`amto worker --engine`): pin `tfjs` to pair with tags trained on it.
    engine: { type: 'string', default: 'auto' },
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
const pngPath = join(repoRoot, 'docs', 'images', `study-accuracy-${values.tag}.png`);

/**
 * Adds the chosen task and its per-validation-set accuracies to a record written before the study kept
 * them, from the run's final run-state document when the store still has it.
 */
async function completeRecord(file: string, runStates: RunStateStore, runId: string): Promise<void> {
  const record = JSON.parse(readFileSync(file, 'utf8')) as StudyRecord;
  if (record.validationAccuracies !== undefined) return;
  let result;
  try {
    result = (await loadLatestDocument(runStates, runId)).result;
  } catch (error) {
    if (error instanceof RunNotFoundError) return;
    throw error;
  }
  if (result === null) return;
  const completed = {
    ...record,
    chosenTask: result.chosenTask,
    validationAccuracies: result.validationAccuracies,
  };
  await writeFormatted(file, JSON.stringify(completed));
}

async function main(): Promise<void> {
  mkdirSync(resultsDir, { recursive: true });
  if (values['report-only']) {
    await writeStudyReport(resultsDir, values.tag, docPath, pngPath);
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
  const fleet = await startFleet({
    // One name per tag: a study restarted after an interruption serves the queues of the runs it follows.
    name: `study-${values.tag}`,
    masters: 1,
    slaves: 1,
    workerArgs: ['--engine', values.engine],
  });
  const { backend, engine } = fleet;
  console.log(`[study] workers on ${backend}, engine ${engine}; results in ${resultsDir}`);
  const plan = seeds.flatMap((seed) => cells.map((cell) => ({ seed, cell })));
  const durations: number[] = [];
  try {
    for (const [index, { seed, cell }] of plan.entries()) {
      const file = join(resultsDir, `${cell.name}-s${seed}.json`);
      const position = `${index + 1}/${plan.length}`;
      if (existsSync(file)) {
        await completeRecord(file, deps.runStates, studyRunId(cell, seed, values.tag));
        console.log(`[study] ${position} ${cell.name} seed ${seed}: done earlier, skipped`);
        continue;
      }
      if (deadline !== null && Date.now() > deadline) {
        console.log(`[study] deadline ${values.deadline} passed: stopping before ${cell.name} seed ${seed}`);
        break;
      }
      const began = Date.now();
      const runId = studyRunId(cell, seed, values.tag);
      const result = await runToEnd(
        session.client,
        environment,
        { ...cellConfig(cell, seed, budget, fleet.queues, runId), runId },
        fleet.queues.control,
      );
      const documents = await loadRoundDocuments(deps.runStates, runId, result.rounds);
      const finalTasks = documents.at(-1)?.state.tasks ?? [];
      const record: StudyRecord = {
        cell: cell.name,
        seed,
        tasks: cell.tasks,
        budget,
        maxIterations: budget.iterations * cell.budgetFactor,
        backend,
        engine,
        testAccuracy: result.testAccuracy ?? Number.NaN,
        harmonicAccuracy: result.harmonicAccuracy,
        chosenTask: result.chosenTask,
        validationAccuracies: result.validationAccuracies,
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
      await writeStudyReport(resultsDir, values.tag, docPath, pngPath);
      console.log(
        `[study] ${position} ${cell.name} seed ${seed}: test ${(100 * record.testAccuracy).toFixed(2)} %, ` +
          `harmonic ${(100 * record.harmonicAccuracy).toFixed(2)} %, ${record.rounds} rounds, ` +
          `${record.transfersAccepted}/${record.transfersTried} transfers, ${record.seconds.toFixed(0)} s`,
      );
    }
  } finally {
    await fleet.stop();
    await session.close();
  }
  await writeStudyReport(resultsDir, values.tag, docPath, pngPath);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
