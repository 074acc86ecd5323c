/**
 * The Temporal CLI path a user follows: workers started with `amto worker`, the run started with
 * `temporal workflow start --input-file`, watched with `temporal workflow query --name progress`, its
 * result read with `temporal workflow result`/`describe`, and found with `temporal workflow list --query`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AmtoTrainingResult } from '../../activities/contracts';
import type { RunProgress } from '../../workflows/messages';
import { searchAttributeOf, temporalCliJson, type ListedExecution } from './run-temporal-cli';
import {
  deleteRunObjects,
  listRunObjects,
  startTinyRun,
  tinyRunResult,
  tinyRunRounds,
  uniqueE2eName,
  writeTinyRunConfig,
  type StartedWorkflow,
} from './tiny-run';
import { startWorkerFleet, type WorkerFleet } from '../helpers/worker-processes';

const workflowId = uniqueE2eName('cli');
const queue = workflowId;

async function queryProgress(): Promise<RunProgress> {
  const output = await temporalCliJson<{ queryResult: RunProgress[] }>([
    'workflow',
    'query',
    '--workflow-id',
    workflowId,
    '--name',
    'progress',
  ]);
  const [progress] = output.queryResult;
  assert.ok(progress, `the progress query returned no value: ${JSON.stringify(output)}`);
  return progress;
}

async function poll<T>(what: string, timeoutMs: number, attempt: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await attempt();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('the Temporal CLI drives an AMTO run', { timeout: 180_000 }, () => {
  const config = writeTinyRunConfig(queue);
  let workers: WorkerFleet | undefined;
  let started: StartedWorkflow;
  let result: AmtoTrainingResult;

  before(async () => {
    workers = await startWorkerFleet(queue);
    started = await startTinyRun(workflowId, queue, config.path);
  });

  after(async () => {
    await workers?.stop();
    config.remove();
    await deleteRunObjects(workflowId);
  });

  test('`temporal workflow start --input-file` starts amtoTraining on the control queue', () => {
    assert.equal(started.workflowId, workflowId);
    assert.equal(started.type, 'amtoTraining');
    assert.equal(started.taskQueue, queue);
    assert.match(started.runId, /^[0-9a-f-]{36}$/);
  });

  test('`temporal workflow query --name progress` reports phase and round while the run trains', async () => {
    const firstProgress = await queryProgress();
    assert.equal(firstProgress.runId, workflowId);
    assert.equal(firstProgress.maxRounds, tinyRunRounds);
    assert.equal(firstProgress.maxIterations, 15);
    assert.ok(
      firstProgress.phase === 'preparing' || firstProgress.phase === 'training',
      `phase right after start: ${firstProgress.phase}`,
    );
    const midRun = await poll('a completed round in the progress query', 150_000, async () => {
      const progress = await queryProgress();
      return progress.round >= 1 ? progress : null;
    });
    assert.ok(midRun.round >= 1 && midRun.round <= tinyRunRounds);
    assert.equal(midRun.iteration, midRun.round * 5);
    assert.equal(midRun.tasks.length, 2);
    assert.equal(midRun.relationship.length, 2);
    assert.ok(midRun.lastRound !== null, 'progress has no lastRound after a completed round');
    assert.equal(midRun.lastRound.round, midRun.round);
    assert.equal(midRun.lastRound.decisions.length, 2);
    assert.ok(midRun.best !== null && Number.isFinite(midRun.best.valLoss));
  });

  test('`temporal workflow result` returns the chosen model with its harmonic accuracy', async () => {
    try {
      result = await tinyRunResult(workflowId);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${workers?.output() ?? ''}`);
    }
    assert.equal(result.runId, workflowId);
    assert.equal(result.rounds, tinyRunRounds);
    assert.equal(result.iterations, 15);
    assert.equal(result.stopReason, 'budget');
    assert.ok([0, 1].includes(result.chosenTask), `chosenTask ${result.chosenTask}`);
    assert.equal(result.validationAccuracies.length, 2);
    for (const accuracy of result.validationAccuracies) assert.ok(accuracy > 0 && accuracy <= 1);
    // Eq. 7: M / Σ 1/A_m over the chosen model's accuracies on every validation set.
    const harmonic =
      result.validationAccuracies.length /
      result.validationAccuracies.reduce((sum, accuracy) => sum + 1 / accuracy, 0);
    assert.ok(
      Math.abs(result.harmonicAccuracy - harmonic) < 1e-12,
      `${result.harmonicAccuracy} vs ${harmonic}`,
    );
    assert.ok(result.testAccuracy !== null && result.testAccuracy > 0 && result.testAccuracy <= 1);
    assert.equal(result.transfersTried, 2 * tinyRunRounds);
    assert.ok(result.transfersAccepted >= 0 && result.transfersAccepted <= result.transfersTried);
    assert.match(
      result.checkpoint,
      new RegExp(`^s3://[^/]+/runs/${workflowId}/r\\d+/t${result.chosenTask}/`),
    );
  });

  test('the chosen checkpoint is in the object store', async () => {
    const chosenPrefix = `${result.checkpoint.replace(/^s3:\/\/[^/]+\//, '')}/`;
    const keys = await listRunObjects(workflowId);
    assert.ok(
      keys.some((key) => key.startsWith(chosenPrefix)),
      `no object under ${chosenPrefix}; the run has: ${keys.join(', ')}`,
    );
  });

  test('the progress query still answers after the run finished', async () => {
    const progress = await queryProgress();
    assert.equal(progress.phase, 'finished');
    assert.equal(progress.round, tinyRunRounds);
    assert.equal(progress.stopReason, 'budget');
    assert.equal(progress.transfersAccepted, result.transfersAccepted);
  });

  test('`temporal workflow describe` shows the run completed with the same result', async () => {
    const described = await temporalCliJson<{
      workflowExecutionInfo: { status: string; type: { name: string } };
      result: AmtoTrainingResult;
    }>(['workflow', 'describe', '--workflow-id', workflowId]);
    assert.equal(described.workflowExecutionInfo.status, 'WORKFLOW_EXECUTION_STATUS_COMPLETED');
    assert.equal(described.workflowExecutionInfo.type.name, 'amtoTraining');
    assert.deepEqual(described.result, result);
  });

  test('`temporal workflow list --query "AmtoArch=\'small-cnn\'"` finds the run by its search attributes', async () => {
    // Visibility is eventually consistent: the final upsert can reach the list a moment after the close.
    const listed = await poll('the run in `temporal workflow list`', 30_000, async () => {
      const executions = await temporalCliJson<ListedExecution[] | null>([
        'workflow',
        'list',
        '--query',
        `AmtoArch='small-cnn' AND WorkflowId='${workflowId}'`,
      ]);
      const execution = executions?.[0];
      return execution !== undefined && searchAttributeOf(execution, 'AmtoRound') === tinyRunRounds
        ? execution
        : null;
    });
    assert.equal(listed.type.name, 'amtoTraining');
    assert.equal(listed.status, 'WORKFLOW_EXECUTION_STATUS_COMPLETED');
    assert.equal(searchAttributeOf(listed, 'AmtoArch'), 'small-cnn');
    assert.equal(searchAttributeOf(listed, 'AmtoDataset'), 'fashion-mnist');
    const bestValLoss = searchAttributeOf(listed, 'AmtoBestValLoss');
    assert.ok(typeof bestValLoss === 'number' && Number.isFinite(bestValLoss) && bestValLoss > 0);
  });
});
