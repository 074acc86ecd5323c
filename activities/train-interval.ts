import { Context } from '@temporalio/activity';
import { batchIndices, learningRateAt } from '../amto';
import { evaluate, trainSteps, TrainingDivergedError } from '../ml/training';
import { CheckpointNotFoundError, CorruptCheckpointError } from '../storage/errors';
import { checkpointKey, partialCheckpointKey, splitsKey } from '../storage/keys';
import type { StepEngine } from '../ml/training/step-engine';
import type { ActivityDeps } from './activity-deps';
import {
  trainIntervalHeartbeatSchema,
  type TrainIntervalHeartbeat,
  type TrainIntervalInput,
  type TrainIntervalResult,
} from './contracts';
import { timePhase } from './interval-phases';
import { recordResumePoint } from './resume-point';
import { checkDatasetDigest } from './dataset-digest';
import { loadRunDataset } from './run-dataset';
import { readSplitManifest } from './split-manifest';
import { captureSession, openSession, uploadSession, type TrainingSession } from './training-session';

/** The previous attempt's resume point, when it names a step strictly inside this interval. */
function resumePointOf(details: unknown, input: TrainIntervalInput): TrainIntervalHeartbeat | null {
  const parsed = trainIntervalHeartbeatSchema.safeParse(details);
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
      const session = await openSession(deps.checkpoints, resume.checkpoint, input.config, deps.resident);
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
  const session = await openSession(deps.checkpoints, input.fromCheckpoint, input.config, deps.resident);
  return { session, step: input.fromStep, lossSum: 0, resumed: false };
}

/** The step engine each model object got, with the momentum settings it was chosen for. */
const enginesByModel = new WeakMap<
  TrainingSession['model'],
  {
    choose: ActivityDeps['stepEngineFor'];
    momentum: unknown;
    nesterov: unknown;
    engine: StepEngine | undefined;
  }
>();

/**
 * The step engine for the session's model: a resident or reused model keeps the one it had (choosing
 * it again would serialise the whole topology to find its graph).
 */
function engineFor(deps: ActivityDeps, session: TrainingSession): StepEngine | undefined {
  const config = session.optimizer.getConfig();
  const known = enginesByModel.get(session.model);
  if (
    known !== undefined &&
    known.choose === deps.stepEngineFor &&
    known.momentum === config['momentum'] &&
    known.nesterov === config['useNesterov']
  )
    return known.engine;
  const engine = deps.stepEngineFor?.(session.model, session.optimizer);
  enginesByModel.set(session.model, {
    choose: deps.stepEngineFor,
    momentum: config['momentum'],
    nesterov: config['useNesterov'],
    engine,
  });
  return engine;
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
  // The in-interval checkpoint being uploaded while the next chunk trains; it becomes the resume point
  // only once durable, and the next one (or the interval's end) waits for it.
  let uploading: Promise<unknown> = Promise.resolve();
  let keep = false;
  try {
    const engine = engineFor(deps, session);
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
        await timePhase('save', () => Promise.all([uploading, session.verified]));
        const captured = await timePhase('save', captureSession, session);
        const resumePoint = {
          checkpoint: partialCheckpointKey(runId, round, task, role, step),
          step,
          lossSum,
        } satisfies TrainIntervalHeartbeat;
        uploading = uploadSession(deps.checkpoints, resumePoint.checkpoint, captured, step, {
          runId,
          round,
          task,
          role,
        }).then(() => recordResumePoint(resumePoint));
        // Awaited before the next save or at the end; this only keeps a failure from going unhandled meanwhile.
        uploading.catch(() => undefined);
      }
    }
    const trainLoss = steps === 0 ? null : lossSum / steps;
    const checkpoint = checkpointKey(runId, round, task, role);
    const captured = await timePhase('save', captureSession, session);
    // Validation does not change the weights: it runs while the checkpoint's files upload; the manifest
    // (which carries the validation result) is written last, and the activity returns only after it.
    const validating = timePhase('validate', () =>
      engine === undefined
        ? evaluate({
            model: session.model,
            data: data.train,
            indices: split.validation,
            batchSize: config.evalBatchSize,
          })
        : engine.evaluate(session.model, data.train, split.validation, config.evalBatchSize),
    );
    const saving = uploadSession(
      deps.checkpoints,
      checkpoint,
      captured,
      end,
      validating.then((validation) => ({
        runId,
        round,
        task,
        role,
        sourceTask: input.sourceTask,
        trainLoss,
        valLoss: validation.loss,
        valAccuracy: validation.accuracy,
      })),
    );
    await validating.catch(() => undefined);
    // What the upload still takes after validation is the save's cost on the interval's critical path.
    // A corrupt starting checkpoint is the error to report, before whatever else went wrong.
    const [, , { digest }] = await timePhase('save', () => settled([session.verified, uploading, saving]));
    const validation = await validating;
    deps.resident?.store(checkpoint, digest, captured.bytes, session);
    keep = deps.resident !== undefined;
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
    // Nothing of this attempt may still be writing when it ends (a retry writes the same keys).
    await Promise.allSettled([uploading, session.verified]);
    if (!(error instanceof TrainingDivergedError)) throw error;
    await session.verified;
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
    if (!keep) session.dispose();
  }
}

/** Waits until every promise settles (nothing left running), then returns their values or the first error. */
async function settled<T extends readonly unknown[]>(
  promises: [...{ [K in keyof T]: Promise<T[K]> }],
): Promise<T> {
  const outcomes: Array<PromiseSettledResult<unknown>> = await Promise.allSettled(promises);
  const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return outcomes.map((outcome) => (outcome as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
