import { Context } from '@temporalio/activity';
import { z } from 'zod';
import { batchIndices, learningRateAt } from '../amto';
import { evaluate, trainSteps, TrainingDivergedError } from '../ml/training';
import { CheckpointNotFoundError, CorruptCheckpointError } from '../storage/errors';
import { checkpointKey, partialCheckpointKey, splitsKey } from '../storage/keys';
import type { ActivityDeps } from './activity-deps';
import type { TrainIntervalHeartbeat, TrainIntervalInput, TrainIntervalResult } from './contracts';
import { timePhase } from './interval-phases';
import { recordResumePoint } from './resume-point';
import { checkDatasetDigest } from './dataset-digest';
import { loadRunDataset } from './run-dataset';
import { readSplitManifest } from './split-manifest';
import { openSession, saveSession, type TrainingSession } from './training-session';

const heartbeatSchema = z.object({
  checkpoint: z.string().min(1),
  step: z.number().int().nonnegative(),
  lossSum: z.number(),
});

/** The previous attempt's resume point, when it names a step strictly inside this interval. */
function resumePointOf(details: unknown, input: TrainIntervalInput): TrainIntervalHeartbeat | null {
  const parsed = heartbeatSchema.safeParse(details);
  if (!parsed.success) return null;
  const { step } = parsed.data;
  return step > input.fromStep && step < input.fromStep + input.steps ? parsed.data : null;
}

interface Start {
  session: TrainingSession;
  step: number;
  lossSum: number;
  resumed: boolean;
}

/**
 * Opens the model where this attempt starts: the resume point's checkpoint when it holds exactly the
 * step the heartbeat names, else the interval's own start (a missing, corrupt or mismatched in-interval
 * checkpoint costs the steps since the round began, never a wrong step count).
 */
async function openStart(
  deps: ActivityDeps,
  input: TrainIntervalInput,
  resume: TrainIntervalHeartbeat | null,
): Promise<Start> {
  const context = Context.current();
  if (resume !== null) {
    try {
      const session = await openSession(deps.checkpoints, resume.checkpoint, input.config);
      if (session.step === resume.step) {
        context.log.info('resuming interval from in-interval checkpoint', { ...resume });
        return { session, step: resume.step, lossSum: resume.lossSum, resumed: true };
      }
      session.dispose();
      context.log.warn(
        'in-interval checkpoint holds another step than its heartbeat; restarting the interval',
        {
          checkpoint: resume.checkpoint,
          heartbeatStep: resume.step,
          checkpointStep: session.step,
        },
      );
    } catch (error) {
      if (!(error instanceof CheckpointNotFoundError || error instanceof CorruptCheckpointError)) throw error;
      context.log.warn('in-interval checkpoint unusable; restarting the interval', {
        checkpoint: resume.checkpoint,
        error: error.message,
      });
    }
  }
  const session = await openSession(deps.checkpoints, input.fromCheckpoint, input.config);
  return { session, step: input.fromStep, lossSum: 0, resumed: false };
}

/**
 * Trains one model (a task's master, or its slave started from the donor's checkpoint) for one round:
 * `steps` steps on the task's train split with the task's shared batch schedule, then validates on the
 * task's validation split and saves the result. Every `checkpoint.everySteps` steps (counted from the
 * interval's start, so a resumed attempt cuts the same chunks) it saves an in-interval checkpoint and
 * records it as the resume point. A model whose loss or weights become NaN is reported as diverged.
 */
export async function trainInterval(
  deps: ActivityDeps,
  input: TrainIntervalInput,
): Promise<TrainIntervalResult> {
  const { runId, config, round, task, role, fromStep, steps } = input;
  const context = Context.current();
  const [data, manifest] = await Promise.all([
    loadRunDataset(config, deps.store, deps.cacheDir),
    readSplitManifest(deps.store, splitsKey(runId)),
  ]);
  checkDatasetDigest(data, manifest.datasetDigest, runId);
  const split = manifest.splits[task];
  if (split === undefined) throw new Error(`split manifest of run ${runId} has no task ${task}`);

  const start = await openStart(deps, input, resumePointOf(context.info.heartbeatDetails, input));
  const { session } = start;
  const resumedFromStep = start.resumed ? start.step : null;
  const end = fromStep + steps;
  let step = start.step;
  let lossSum = start.lossSum;
  try {
    const engine = deps.stepEngineFor?.(session.model, session.optimizer);
    const schedule = {
      base: config.optimizer.learningRate,
      milestones: config.optimizer.milestones,
      gamma: config.optimizer.gamma,
    };
    while (step < end) {
      const chunk = Math.min(config.checkpoint.everySteps, end - step);
      const result = await timePhase('train', trainSteps, {
        model: session.model,
        optimizer: session.optimizer,
        data: data.train,
        // Master and slave of a task see the same batches: the schedule depends on (seed, task, step) only.
        batches: (at) =>
          batchIndices({
            seed: config.seed,
            task,
            step: at,
            trainSize: split.train.length,
            batchSize: config.batchSize,
          }).map((position) => split.train[position] as number),
        fromStep: step,
        steps: chunk,
        lrAt: (at) => learningRateAt(at, schedule),
        flip: config.augment.horizontalFlip,
        seed: config.seed,
        task,
        signal: context.cancellationSignal,
        engine,
      });
      step += chunk;
      lossSum += result.meanLoss * chunk;
      if (step < end) {
        const partial = partialCheckpointKey(runId, round, task, role, step);
        await saveSession(deps.checkpoints, partial, session, step, { runId, round, task, role });
        recordResumePoint({ checkpoint: partial, step, lossSum } satisfies TrainIntervalHeartbeat);
      }
    }
    const validation =
      engine === undefined
        ? await timePhase('validate', evaluate, {
            model: session.model,
            data: data.train,
            indices: split.validation,
            batchSize: config.evalBatchSize,
          })
        : await timePhase('validate', () =>
            engine.evaluate(session.model, data.train, split.validation, config.evalBatchSize),
          );
    const trainLoss = steps === 0 ? null : lossSum / steps;
    const checkpoint = checkpointKey(runId, round, task, role);
    await saveSession(deps.checkpoints, checkpoint, session, end, {
      runId,
      round,
      task,
      role,
      sourceTask: input.sourceTask,
      trainLoss,
      valLoss: validation.loss,
      valAccuracy: validation.accuracy,
    });
    return {
      checkpoint,
      trainLoss,
      valLoss: validation.loss,
      valAccuracy: validation.accuracy,
      stepsRun: end - start.step,
      resumedFromStep,
      diverged: null,
    };
  } catch (error) {
    if (!(error instanceof TrainingDivergedError)) throw error;
    // Deterministic training diverges again on every retry: report it, and let amto/ count the loss as +∞.
    context.log.warn('model diverged', { runId, round, task, role, step: error.step, error: error.message });
    return {
      checkpoint: input.fromCheckpoint,
      trainLoss: null,
      valLoss: null,
      valAccuracy: 0,
      stepsRun: error.step + 1 - start.step,
      resumedFromStep,
      diverged: { step: error.step, message: error.message },
    };
  } finally {
    session.dispose();
  }
}
