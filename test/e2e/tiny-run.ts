/**
 * The one short real AMTO run the e2e tests share: a tiny Fashion-MNIST config, started with the Temporal
 * CLI on unique task queues. The web-UI test reuses the run the CLI test just finished (training on WASM
 * with 2 cores is the slow part) and runs its own only when no recent one exists.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AmtoTrainingResult } from '../../activities/contracts';
import type { RunConfigInput } from '../../amto';
import { loadEnvironment } from '../../infra/environment';
import { createObjectStore } from '../../storage/create-object-store';
import { runPrefix } from '../../storage/keys';
import type { ObjectStore } from '../../storage/object-store';
import { temporalCliJson, type ListedExecution } from './run-temporal-cli';
import { startWorkerFleet } from '../helpers/worker-processes';

export const e2eWorkflowIdPrefix = 'amto-e2e-';
/** 15 iterations in rounds of 5: three rounds. */
export const tinyRunRounds = 3;

/** A unique id for a workflow and its task queues, so runs never meet other tests' workers. */
export function uniqueE2eName(label: string): string {
  return `${e2eWorkflowIdPrefix}${label}-${randomUUID().slice(0, 8)}`;
}

export function tinyRunConfig(queue: string): RunConfigInput {
  return {
    seed: 1,
    dataset: { kind: 'fashion-mnist', subset: 600, testSubset: 200 },
    model: { arch: 'small-cnn' },
    tasks: 2,
    interval: 5,
    maxIterations: 5 * tinyRunRounds,
    batchSize: 16,
    checkpoint: { everySteps: 5 },
    queues: { master: `${queue}-master`, slave: `${queue}-slave` },
  };
}

/** Writes the config where `--input-file` reads it; returns the file and a remover for its folder. */
export function writeTinyRunConfig(queue: string): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'amto-e2e-'));
  const path = join(dir, 'config.json');
  writeFileSync(path, JSON.stringify(tinyRunConfig(queue), null, 2));
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface StartedWorkflow {
  workflowId: string;
  runId: string;
  type: string;
  taskQueue: string;
}

/** `temporal workflow start --type amtoTraining --input-file <config>`: the documented way to start a run. */
export function startTinyRun(
  workflowId: string,
  queue: string,
  configPath: string,
): Promise<StartedWorkflow> {
  return temporalCliJson<StartedWorkflow>([
    'workflow',
    'start',
    '--type',
    'amtoTraining',
    '--task-queue',
    queue,
    '--workflow-id',
    workflowId,
    '--input-file',
    configPath,
  ]);
}

interface WorkflowResultOutput {
  status: string;
  result?: AmtoTrainingResult;
}

/** `temporal workflow result`: waits for the run to close and returns its result, or throws with the status. */
export async function tinyRunResult(workflowId: string, timeoutMs = 150_000): Promise<AmtoTrainingResult> {
  const output = await temporalCliJson<WorkflowResultOutput>(
    ['workflow', 'result', '--workflow-id', workflowId],
    timeoutMs,
  );
  if (output.status !== 'COMPLETED' || output.result === undefined) {
    throw new Error(`workflow ${workflowId} closed as ${output.status}: ${JSON.stringify(output)}`);
  }
  return output.result;
}

function runStore(): ObjectStore {
  return createObjectStore({ minio: loadEnvironment().minio });
}

/** The keys of every object the run wrote (checkpoints, run state). */
export async function listRunObjects(runId: string): Promise<string[]> {
  return (await runStore().list(runPrefix(runId))).map((object) => object.key);
}

/** Deletes every object the run wrote, so e2e runs leave nothing behind in the store. */
export async function deleteRunObjects(runId: string): Promise<void> {
  await runStore().delete(await listRunObjects(runId));
}

/** The newest e2e run that completed within `maxAgeMs`, or null. */
async function recentCompletedRun(maxAgeMs: number): Promise<string | null> {
  const since = new Date(Date.now() - maxAgeMs).toISOString();
  const query =
    `WorkflowType='amtoTraining' AND WorkflowId STARTS_WITH '${e2eWorkflowIdPrefix}' ` +
    `AND ExecutionStatus='Completed' AND CloseTime > '${since}'`;
  const listed = await temporalCliJson<ListedExecution[] | null>([
    'workflow',
    'list',
    '--query',
    query,
    '--limit',
    '1',
  ]);
  return listed?.[0]?.execution.workflowId ?? null;
}

/** Runs the tiny config end to end: workers up, CLI start, result, workers down, objects deleted. */
async function runTinyTraining(label: string): Promise<{ workflowId: string; result: AmtoTrainingResult }> {
  const workflowId = uniqueE2eName(label);
  const config = writeTinyRunConfig(workflowId);
  const workers = await startWorkerFleet(workflowId);
  try {
    await startTinyRun(workflowId, workflowId, config.path);
    const result = await tinyRunResult(workflowId);
    return { workflowId, result };
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${workers.output()}`);
  } finally {
    await workers.stop();
    config.remove();
    await deleteRunObjects(workflowId);
  }
}

/** A completed tiny run to look at: the CLI test's when it finished in the last 20 minutes, else a new one. */
export async function completedTinyRun(
  label: string,
): Promise<{ workflowId: string; result: AmtoTrainingResult; reused: boolean }> {
  const recent = await recentCompletedRun(20 * 60_000);
  if (recent !== null) return { workflowId: recent, result: await tinyRunResult(recent), reused: true };
  return { ...(await runTinyTraining(label)), reused: false };
}
