/**
 * A retry of trainInterval resumes only from a heartbeat whose checkpoint holds the step it names:
 * the real activity, in-process (tfjs, the shared MinIO), given each kind of previous-attempt heartbeat
 * the way the worker gives it (`activityInfo().heartbeatDetails`). A genuine resume point resumes there
 * and reproduces the undisturbed attempt's losses to the bit; one whose checkpoint holds another step,
 * is missing, or is not a resume point at all restarts the interval from its round-start checkpoint.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, test } from 'node:test';
import type {
  TrainIntervalHeartbeat,
  TrainIntervalInput,
  TrainIntervalResult,
} from '../../activities/contracts';
import { createActivities } from '../../activities/create-activities';
import { parseRunConfig } from '../../amto';
import { loadEnvironment } from '../../infra/environment';
import { selectBackend } from '../../ml/backend';
import { createActivityDeps } from '../../workers/create-deps';
import { activityContext, runIn } from '../helpers/activity-context';

const deps = createActivityDeps(loadEnvironment());
const activities = createActivities(deps);
const runId = `resume-${randomUUID().slice(0, 8)}`;
const parsed = parseRunConfig({
  runId,
  seed: 4,
  dataset: { kind: 'fashion-mnist', subset: 200, testSubset: 50 },
  model: { arch: 'small-cnn' },
  tasks: 1,
  interval: 20,
  maxIterations: 20,
  batchSize: 8,
  checkpoint: { everySteps: 10, keepRounds: 2 },
});
assert.ok(parsed.ok);
const config = parsed.config;

/** Runs `work` as attempt `attempt` of an activity whose previous attempt's last heartbeat was `details`. */
async function asAttempt<T>(attempt: number, details: unknown, work: () => Promise<T>) {
  const { context, beats, warnings } = activityContext({
    attempt,
    heartbeatDetails: details,
    workflowExecution: { workflowId: `amto-${runId}`, runId: 'test' },
  });
  return { value: await runIn(context, work), beats, warnings };
}

let input: TrainIntervalInput;
let undisturbed: TrainIntervalResult;
let resumePoint: TrainIntervalHeartbeat;

before(async () => {
  await selectBackend('auto', { log: () => undefined });
  const { value: prepared } = await asAttempt(1, undefined, () => activities.prepareRun({ runId, config }));
  const fromCheckpoint = prepared.initialCheckpoints[0] as string;
  input = {
    runId,
    config,
    round: 1,
    task: 0,
    role: 'master',
    sourceTask: 0,
    fromCheckpoint,
    fromStep: 0,
    steps: 20,
  };
  const first = await asAttempt(1, undefined, () => activities.trainInterval(input));
  undisturbed = first.value;
  // The one resume point of a 20-step interval with checkpoints every 10 steps: after step 10.
  assert.equal(first.beats.length, 1, JSON.stringify(first.beats));
  resumePoint = first.beats[0] as TrainIntervalHeartbeat;
});

/** Same losses and accuracy as the undisturbed attempt, and the checkpoint it wrote holds the interval's end. */
async function assertSameAsUndisturbed(result: TrainIntervalResult): Promise<void> {
  assert.deepEqual(
    [result.trainLoss, result.valLoss, result.valAccuracy],
    [undisturbed.trainLoss, undisturbed.valLoss, undisturbed.valAccuracy],
  );
  assert.equal((await deps.checkpoints.loadCheckpoint(result.checkpoint)).step, 20);
}

describe('trainInterval resume points', () => {
  test('the heartbeat names an in-interval checkpoint and the step that checkpoint holds', async () => {
    assert.match(resumePoint.checkpoint, /\/partial\/master\//);
    assert.equal(resumePoint.step, 10);
    assert.equal((await deps.checkpoints.loadCheckpoint(resumePoint.checkpoint)).step, resumePoint.step);
  });

  test('a retry given that heartbeat resumes at its step: 10 steps run, losses identical', async () => {
    const { value } = await asAttempt(2, resumePoint, () => activities.trainInterval(input));
    assert.deepEqual([value.resumedFromStep, value.stepsRun], [10, 10]);
    await assertSameAsUndisturbed(value);
  });

  test('a heartbeat whose checkpoint holds another step: the retry restarts the interval', async () => {
    // The round-start checkpoint holds step 0, not the 10 the heartbeat claims.
    const claimed = { ...resumePoint, checkpoint: input.fromCheckpoint };
    const { value, warnings } = await asAttempt(2, claimed, () => activities.trainInterval(input));
    assert.deepEqual([value.resumedFromStep, value.stepsRun], [null, 20]);
    assert.ok(
      warnings.some((warning) => /holds another step than its heartbeat/.test(warning)),
      warnings.join('\n'),
    );
    await assertSameAsUndisturbed(value);
  });

  test('a heartbeat naming a missing checkpoint: the retry restarts the interval', async () => {
    const missing = { ...resumePoint, checkpoint: `${resumePoint.checkpoint}-gone` };
    const { value, warnings } = await asAttempt(2, missing, () => activities.trainInterval(input));
    assert.deepEqual([value.resumedFromStep, value.stepsRun], [null, 20]);
    assert.ok(
      warnings.some((warning) => /checkpoint unusable/.test(warning)),
      warnings.join('\n'),
    );
    await assertSameAsUndisturbed(value);
  });

  test('details that are no resume point (progress past a checkpoint, as heartbeats once carried) are ignored', async () => {
    const { value } = await asAttempt(2, { checkpoint: resumePoint.checkpoint, stepsDone: 15 }, () =>
      activities.trainInterval(input),
    );
    assert.deepEqual([value.resumedFromStep, value.stepsRun], [null, 20]);
    await assertSameAsUndisturbed(value);
  });
});
