/**
 * The AMTO training workflow: each round is a set of durable activities (train master and slave of every
 * task on their queues), and every decision (donors, transfers, relationship updates, stopping) is made
 * here through amto/'s pure step function, so it is recorded in the history and replays identically.
 */
import {
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  type RetryPolicy,
} from '@temporalio/workflow';
import {
  applyRound,
  candidateCheckpoints,
  chooseFinalModel,
  initialState,
  isFinished,
  isRunId,
  parseRunConfig,
  planRound,
  queueFor,
  requestStop,
  type AmtoState,
  type RoundPlan,
  type RunConfig,
  type RunConfigInput,
  type TaskRoundResult,
  type TrainingRole,
} from '../amto';
import type {
  AmtoActivities,
  AmtoTrainingResult,
  EvaluationSplit,
  PreparedRun,
  RunStateDocument,
} from '../activities/contracts';
import { activityTimeouts } from './activity-timeouts';
import {
  activityAttemptSignal,
  pauseSignal,
  progressQuery,
  resumeSignal,
  stopUpdate,
  type RetryingActivity,
  type RunPhase,
  type RunProgress,
} from './messages';
import {
  amtoArchKey,
  amtoRetryingKey,
  amtoBestValLossKey,
  amtoDatasetKey,
  amtoRoundKey,
} from './search-attributes';

// Which failures are worth retrying is decided by one table at the activity boundary
// (activities/non-retryable.ts, applied by workers/activity-boundary.ts), which marks the others
// non-retryable; everything else retries without limit, and `amto status` shows the attempt and error.
const retry: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
};

// No task queue: light activities run on the workflow's own queue, served by the control worker.
const control = proxyActivities<AmtoActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '2 minutes',
  retry,
});

/** Training and evaluation, with timeouts sized from the model (prepareRun measured its FLOPs). */
function trainingActivities(config: RunConfig, prepared: PreparedRun) {
  const timeouts = activityTimeouts(
    config,
    prepared.forwardFlops,
    Math.max(
      prepared.testSize,
      prepared.validationSizes.reduce((sum, size) => sum + size, 0),
    ),
    config.interval,
  );
  const heartbeatTimeout = timeouts.heartbeatTimeoutSeconds * 1000;
  return {
    train: proxyActivities<AmtoActivities>({
      startToCloseTimeout: timeouts.trainStartToCloseSeconds * 1000,
      heartbeatTimeout,
      retry,
    }).trainInterval,
    evaluate: proxyActivities<AmtoActivities>({
      startToCloseTimeout: timeouts.evaluateStartToCloseSeconds * 1000,
      heartbeatTimeout,
      retry,
    }).evaluate,
  };
}
type TrainingActivities = ReturnType<typeof trainingActivities>;

/** Carried across continue-as-new and into a resumed run (from the run-state document). */
export interface AmtoContinuation {
  runId: string;
  prepared: PreparedRun;
  state: AmtoState;
}

/** The workflow's one input: the run config as a user writes it, plus the continuation when resuming. */
export type AmtoTrainingInput = RunConfigInput & { continuation?: AmtoContinuation };

function invalidConfig(problems: string[]): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'InvalidRunConfig',
    nonRetryable: true,
    message: `invalid run config:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
    details: [problems],
  });
}

function runIdFor(config: RunConfig): string {
  const runId = config.runId ?? workflowInfo().workflowId;
  if (!isRunId(runId)) {
    throw invalidConfig([
      `runId: the workflow id "${runId}" cannot name storage keys; set "runId" (letters, digits, ".", "_", "-")`,
    ]);
  }
  return runId;
}

export async function amtoTraining(input: AmtoTrainingInput): Promise<AmtoTrainingResult> {
  const { continuation, ...configInput } = input;
  const parsed = parseRunConfig(configInput);
  if (!parsed.ok) throw invalidConfig(parsed.problems);
  const config = parsed.config;
  const runId = continuation?.runId ?? runIdFor(config);

  let phase: RunPhase = 'preparing';
  let paused = false;
  let stopRequested = false;
  /** True from a round's start until its results are in `state`: a stop then finishes that round. */
  let roundInFlight = false;
  let state: AmtoState | null = continuation?.state ?? null;
  const maxRounds = Math.ceil(config.maxIterations / config.interval);

  const retrying = new Map<string, RetryingActivity>();
  setHandler(progressQuery, (): RunProgress => ({
    ...progressOf(runId, config, phase, state, maxRounds, stopRequested),
    retrying: [...retrying.values()],
  }));
  setHandler(activityAttemptSignal, (note) => {
    const hadAny = retrying.size > 0;
    if (note.kind === 'retrying') {
      const known = retrying.get(note.activity.activityId);
      retrying.set(note.activity.activityId, {
        ...note.activity,
        // A new attempt's start knows no error; keep the one its predecessor reported.
        lastError: note.activity.lastError ?? known?.lastError ?? null,
      });
    } else retrying.delete(note.activityId);
    if (hadAny !== retrying.size > 0)
      upsertSearchAttributes([{ key: amtoRetryingKey, value: retrying.size > 0 }]);
  });
  setHandler(pauseSignal, () => {
    paused = true;
  });
  setHandler(resumeSignal, () => {
    paused = false;
  });
  setHandler(stopUpdate, () => {
    stopRequested = true;
    paused = false;
    return { finishingRound: (state?.round ?? 0) + (roundInFlight ? 1 : 0) };
  });

  const prepared =
    continuation?.prepared ??
    (await control.prepareRun.executeWithOptions(
      { summary: `prepare ${config.tasks} splits and initial checkpoints` },
      [{ runId, config }],
    ));
  state ??= initialState(config, prepared.initialCheckpoints);
  const training = trainingActivities(config, prepared);
  // The name prepareRun gave the dataset, the one progress and the report show.
  upsertSearchAttributes([
    { key: amtoArchKey, value: config.model.arch },
    { key: amtoDatasetKey, value: prepared.datasetName },
  ]);

  // Workflows started before these changes replay on the old commands (test/replay); new ones record
  // markers and take them: a round's run-state write and retention run while the next round trains,
  // and a slave that would train from the master's own checkpoint reuses the master's result.
  const persistBesideNextRound = patched(persistBesideNextRoundPatch);
  const reuseMasterForSameStart = patched(reuseMasterForSameStartPatch);
  // The previous round's run-state write and retention, when they run beside this round's training.
  let persisting: Promise<void> = Promise.resolve();

  let roundsThisRun = 0;
  while (!isFinished(state)) {
    if (stopRequested) {
      state = requestStop(state);
      break;
    }
    if (paused) {
      // A paused run's run-state document is the one a user (or a resume) reads: it must be written.
      await persisting;
      phase = 'paused';
      setCurrentDetails(`Paused after round ${state.round}. Signal "resume" to continue.`);
      await condition(() => !paused || stopRequested);
      continue;
    }
    if (roundsThisRun >= config.continueAsNewEveryRounds || workflowInfo().continueAsNewSuggested) {
      await persisting;
      await continueAsNew<typeof amtoTraining>({ ...configInput, continuation: { runId, prepared, state } });
    }
    phase = 'training';
    const plan = planRound(state, config);
    setCurrentDetails(
      `Round ${plan.round + 1}/${maxRounds}: training ${config.tasks} tasks for ${plan.steps} iterations ` +
        `from iteration ${plan.stepsFrom}.`,
    );
    roundInFlight = true;
    const results = await trainRound(training, runId, config, plan, reuseMasterForSameStart);
    const applied = applyRound(state, config, plan, results);
    // The per-round run-state document is the decision log; the workflow keeps only the last record.
    state = { ...applied.state, history: applied.state.history.slice(-1) };
    roundInFlight = false;
    if (stopRequested) state = requestStop(state);
    roundsThisRun += 1;
    upsertProgressAttributes(state);
    // In round order: this round's document only after the previous one's (and its retention).
    await persisting;
    const persist = persistRound(runId, config, prepared, state, null);
    if (persistBesideNextRound) {
      persisting = persist;
      // Awaited before the next write, a pause, continue-as-new and the end; this keeps an early
      // failure from going unhandled meanwhile (the await rethrows it).
      persist.catch(() => undefined);
    } else await persist;
  }
  await persisting;

  phase = 'selecting';
  setCurrentDetails(
    `Selecting the model with the best harmonic accuracy over ${config.tasks} validation sets.`,
  );
  const result = await selectFinalModel(training, runId, config, prepared, state);
  await persistRound(runId, config, prepared, state, result);
  phase = 'finished';
  // A finished run retries nothing, whether or not a retried activity's "recovered" note arrived.
  if (retrying.size > 0) {
    retrying.clear();
    upsertSearchAttributes([{ key: amtoRetryingKey, value: false }]);
  }
  setCurrentDetails(
    `Finished (${result.stopReason}): task ${result.chosenTask} chosen, harmonic accuracy ` +
      `${result.harmonicAccuracy.toFixed(4)}${result.testAccuracy === null ? '' : `, test accuracy ${result.testAccuracy.toFixed(4)}`}.`,
  );
  log.info('AMTO run finished', { runId, chosenTask: result.chosenTask, stopReason: result.stopReason });
  return result;
}

export const persistBesideNextRoundPatch = 'persist-round-beside-next-round';
export const reuseMasterForSameStartPatch = 'slave-from-master-checkpoint-reuses-master';

async function trainRound(
  training: TrainingActivities,
  runId: string,
  config: RunConfig,
  plan: RoundPlan,
  reuseMasterForSameStart: boolean,
): Promise<TaskRoundResult[]> {
  const train = (task: number, role: TrainingRole, sourceTask: number, fromCheckpoint: string) =>
    training.train.executeWithOptions(
      {
        taskQueue: queueFor(config, role, task),
        summary:
          role === 'master'
            ? `round ${plan.round + 1}: task ${task} master, ${plan.steps} steps`
            : `round ${plan.round + 1}: task ${task} slave from task ${sourceTask}, ${plan.steps} steps`,
      },
      [
        {
          runId,
          config,
          round: plan.round + 1,
          task,
          role,
          sourceTask,
          fromCheckpoint,
          fromStep: plan.stepsFrom,
          steps: plan.steps,
        },
      ],
    );
  // The barrier over all 2M intervals: every task's master and slave train at once.
  return Promise.all(
    plan.assignments.map(async (assignment): Promise<TaskRoundResult> => {
      // Master and slave of a task train the same steps on the same batches with the same dropout
      // seeds (both depend on seed, task and step only), on deterministic kernels: from the same
      // checkpoint (sameInit's round 1) the slave would end exactly where the master does, and the
      // transfer decision is the same as training it (not strictly lower: rejected; r += tanh(0)).
      const sameStart =
        reuseMasterForSameStart &&
        assignment.donor !== null &&
        assignment.slaveFrom === assignment.masterFrom;
      const mastering = train(assignment.task, 'master', assignment.task, assignment.masterFrom);
      const [master, slave] = await Promise.all([
        mastering,
        assignment.donor === null || assignment.slaveFrom === null
          ? Promise.resolve(null)
          : sameStart
            ? mastering
            : train(assignment.task, 'slave', assignment.donor, assignment.slaveFrom),
      ]);
      return {
        task: assignment.task,
        master,
        slave,
      };
    }),
  );
}

async function selectFinalModel(
  training: TrainingActivities,
  runId: string,
  config: RunConfig,
  prepared: PreparedRun,
  state: AmtoState,
): Promise<AmtoTrainingResult> {
  const candidates = candidateCheckpoints(state);
  const validationSplits: EvaluationSplit[] = candidates.map((_, task) => ({ kind: 'validation', task }));
  const scores = await Promise.all(
    candidates.map((checkpoint, task) =>
      training.evaluate.executeWithOptions(
        {
          taskQueue: queueFor(config, 'master', task),
          summary: `select: task ${task}'s best model on all ${candidates.length} validation sets`,
        },
        [{ runId, config, checkpoint, splits: validationSplits }],
      ),
    ),
  );
  const selection = chooseFinalModel(scores.map((perSplit) => perSplit.map((score) => score.accuracy)));
  const chosen = candidates[selection.chosenTask] as string;
  let testAccuracy: number | null = null;
  if (prepared.testSize > 0) {
    const [test] = await training.evaluate.executeWithOptions(
      {
        taskQueue: queueFor(config, 'master', selection.chosenTask),
        summary: `test: the chosen model (task ${selection.chosenTask}) on the test set`,
      },
      [{ runId, config, checkpoint: chosen, splits: [{ kind: 'test' }] }],
    );
    testAccuracy = test?.accuracy ?? null;
  }
  return {
    runId,
    chosenTask: selection.chosenTask,
    harmonicAccuracy: selection.harmonicAccuracy,
    validationAccuracies: (scores[selection.chosenTask] ?? []).map((score) => score.accuracy),
    testAccuracy,
    rounds: state.round,
    iterations: state.iteration,
    transfersTried: state.transfersTried,
    transfersAccepted: state.transfersAccepted,
    stopReason: state.stopReason ?? 'budget',
    checkpoint: `${prepared.storageUrl}/${chosen}`,
  };
}

async function persistRound(
  runId: string,
  config: RunConfig,
  prepared: PreparedRun,
  state: AmtoState,
  result: AmtoTrainingResult | null,
): Promise<void> {
  const document: RunStateDocument = {
    version: 1,
    runId,
    workflowId: workflowInfo().workflowId,
    config,
    prepared,
    state,
    result,
  };
  await control.writeRunState.executeWithOptions({ summary: `save run state after round ${state.round}` }, [
    { runId, round: state.round, document },
  ]);
  if (result === null) {
    // Never delete what a task still points at: its current and best checkpoints (donors are current ones).
    const referenced = state.tasks.flatMap((task) => [
      task.checkpoint,
      ...(task.bestCheckpoint ? [task.bestCheckpoint] : []),
    ]);
    await control.applyRetention.executeWithOptions({ summary: `retention after round ${state.round}` }, [
      { runId, currentRound: state.round, keepRounds: config.checkpoint.keepRounds, referenced },
    ]);
  }
}

function upsertProgressAttributes(state: AmtoState): void {
  const losses = state.tasks.flatMap((task) => (task.bestValLoss === null ? [] : [task.bestValLoss]));
  upsertSearchAttributes([
    { key: amtoRoundKey, value: state.round },
    ...(losses.length > 0 ? [{ key: amtoBestValLossKey, value: Math.min(...losses) }] : []),
  ]);
}

function progressOf(
  runId: string,
  config: RunConfig,
  phase: RunPhase,
  state: AmtoState | null,
  maxRounds: number,
  stopRequested: boolean,
): Omit<RunProgress, 'retrying'> {
  const tasks = state?.tasks ?? [];
  const best = tasks.reduce<{ task: number; valLoss: number } | null>(
    (acc, task) =>
      task.bestValLoss !== null && (acc === null || task.bestValLoss < acc.valLoss)
        ? { task: task.task, valLoss: task.bestValLoss }
        : acc,
    null,
  );
  const last = state?.history[state.history.length - 1] ?? null;
  return {
    runId,
    phase,
    round: state?.round ?? 0,
    maxRounds,
    iteration: state?.iteration ?? 0,
    maxIterations: config.maxIterations,
    tasks: tasks.map((task) => ({
      task: task.task,
      valLoss: task.lastValLoss,
      valAccuracy: task.lastValAccuracy,
      trainLoss: task.lastTrainLoss,
      bestValLoss: task.bestValLoss,
      stale: task.stale,
    })),
    lastRound: last === null ? null : { round: last.round + 1, decisions: last.decisions },
    relationship: tasks.map((task) => task.relationship),
    best,
    transfersTried: state?.transfersTried ?? 0,
    transfersAccepted: state?.transfersAccepted ?? 0,
    stopRequested,
    stopReason: state?.stopReason ?? null,
  };
}
