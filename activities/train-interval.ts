import { Context } from '@temporalio/activity';
import { batchIndices, learningRateAt } from '../amto';
import { evaluate, trainSteps } from '../ml/training';
import { checkpointKey, partialCheckpointKey, splitsKey } from '../storage/keys';
import type { ActivityDeps } from './activity-deps';
import type { TrainIntervalHeartbeat, TrainIntervalInput, TrainIntervalResult } from './contracts';
import { timePhase } from './interval-phases';
import { loadRunDataset } from './run-dataset';
import { readSplitManifest } from './split-manifest';
import { openSession, saveSession } from './training-session';

/**
 * Trains one model (a task's master, or its slave started from the donor's checkpoint) for one round:
 * `steps` steps on the task's train split with the task's shared batch schedule, then validates on the
 * task's validation split and saves the result. Every `checkpoint.everySteps` steps it saves an
 * in-interval checkpoint and names it in the heartbeat, so a retry after preemption resumes there.
 */
export async function trainInterval(
  deps: ActivityDeps,
  input: TrainIntervalInput,
): Promise<TrainIntervalResult> {
  const { runId, config, round, task, role, fromStep, steps } = input;
  const context = Context.current();
  const resume = context.info.heartbeatDetails as TrainIntervalHeartbeat | undefined;
  const [data, manifest] = await Promise.all([
    loadRunDataset(config, deps.store, deps.cacheDir),
    readSplitManifest(deps.store, splitsKey(runId)),
  ]);
  const split = manifest.splits[task];
  if (split === undefined) throw new Error(`split manifest of run ${runId} has no task ${task}`);

  const resumeFrom = resume?.partialCheckpoint ?? null;
  const session = await openSession(deps.checkpoints, resumeFrom ?? input.fromCheckpoint, config);
  try {
    // Steps (and their summed loss) an earlier attempt finished and checkpointed.
    const resumedSteps = resumeFrom === null ? 0 : (resume?.stepsDone ?? 0);
    let done = resumedSteps;
    let lossSum = resumeFrom === null ? 0 : (resume?.lossSum ?? 0);
    if (resumeFrom !== null)
      context.log.info('resuming interval from in-interval checkpoint', { resumeFrom, done });
    const schedule = {
      base: config.optimizer.learningRate,
      milestones: config.optimizer.milestones,
      gamma: config.optimizer.gamma,
    };
    const heartbeatMs = (deps.heartbeatSeconds ?? 5) * 1000;
    let lastBeat = 0;
    const beat = (details: TrainIntervalHeartbeat): void => {
      context.heartbeat(details);
      lastBeat = Date.now();
    };
    let partialCheckpoint = resumeFrom;
    beat({ stepsDone: done, lossSum, partialCheckpoint });
    while (done < steps) {
      const chunk = Math.min(config.checkpoint.everySteps, steps - done);
      const chunkStart = done;
      const result = await timePhase('train', trainSteps, {
        model: session.model,
        optimizer: session.optimizer,
        data: data.train,
        // Master and slave of a task see the same batches: the schedule depends on (seed, task, step) only.
        batches: (step) =>
          batchIndices({
            seed: config.seed,
            task,
            step,
            trainSize: split.train.length,
            batchSize: config.batchSize,
          }).map((position) => split.train[position] as number),
        fromStep: fromStep + chunkStart,
        steps: chunk,
        lrAt: (step) => learningRateAt(step, schedule),
        flip: config.augment.horizontalFlip,
        seed: config.seed,
        task,
        signal: context.cancellationSignal,
        onProgress: (chunkDone) => {
          if (Date.now() - lastBeat >= heartbeatMs)
            beat({ stepsDone: chunkStart + chunkDone, lossSum, partialCheckpoint });
        },
      });
      done += chunk;
      lossSum += result.meanLoss * chunk;
      if (done < steps) {
        partialCheckpoint = partialCheckpointKey(runId, round, task, role, fromStep + done);
        await saveSession(deps.checkpoints, partialCheckpoint, session, fromStep + done, {
          runId,
          round,
          task,
          role,
        });
      }
      beat({ stepsDone: done, lossSum, partialCheckpoint });
    }
    const validation = await timePhase('validate', evaluate, {
      model: session.model,
      data: data.train,
      indices: split.validation,
      batchSize: config.evalBatchSize,
    });
    const trainLoss = steps === 0 ? Number.NaN : lossSum / steps;
    const checkpoint = checkpointKey(runId, round, task, role);
    await saveSession(deps.checkpoints, checkpoint, session, fromStep + steps, {
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
      stepsRun: steps - resumedSteps,
      resumedFromStep: resumeFrom === null ? null : fromStep + resumedSteps,
    };
  } finally {
    session.dispose();
  }
}
