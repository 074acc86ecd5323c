/**
 * The AMTO loop (Algorithm 1) as data plus pure functions, for the deterministic workflow:
 *
 *   let state = initialState(config, initialCheckpointKeys);
 *   while (!isFinished(state)) {
 *     const plan = planRound(state, config);            // knowledge reallocation: donors
 *     const results = await <train master and slave of every task per plan>;
 *     ({ state } = applyRound(state, config, plan, results)); // determining transfer, RL, stopping
 *   }
 *   // evaluate candidateCheckpoints(state) on every validation set, then chooseFinalModel(...)
 *
 * Nothing here reads a clock, does I/O or mutates its arguments. The state holds only numbers,
 * strings, null and arrays, so it round-trips through JSON (Temporal payloads, continue-as-new, the
 * run-state document) unchanged: a loss that is not finite is stored as null.
 *
 * Decisions the paper leaves open, fixed here:
 * - a task's validation loss, for its best checkpoint and for early stopping, is the loss of the
 *   model it keeps after the transfer decision (the slave's if accepted, else the master's);
 * - each task's candidate for the final selection is its best checkpoint by its own validation loss;
 * - the loop stops when the budget is spent or early stopping fires (the paper's "or" is a typo);
 * - all tasks advance in lockstep, so one global iteration count drives every task's schedule.
 */
import { observeValidation, shouldStopEarly } from './early-stopping';
import { createStream } from './prng';
import { acceptTransfer, isUsableLoss, type ReportedLoss } from './relationship-list';
import type { RunConfig } from './run-config';
import { chooseDonor, relationshipAfterTransfer } from './transfer-policy';

/** The parts of the run config the loop uses; a full `RunConfig` fits. */
export type AmtoConfig = Pick<
  RunConfig,
  'seed' | 'tasks' | 'interval' | 'maxIterations' | 'transfer' | 'earlyStopping'
>;

export type StopReason = 'budget' | 'early-stopping' | 'stopped-by-user';

export interface TaskState {
  /** m, 0-based; equals the task's index in `AmtoState.tasks`. */
  task: number;
  /** Storage key of θ_m, the task's current (master) checkpoint. */
  checkpoint: string;
  /** Lowest validation loss the task has kept so far; null before its first finite loss. */
  bestValLoss: number | null;
  /** Validation accuracy of the best checkpoint on the task's own split. */
  bestValAccuracy: number | null;
  /** Key of the checkpoint that reached `bestValLoss`: the task's candidate for the final selection. */
  bestCheckpoint: string | null;
  /** Global iteration at which `bestCheckpoint` was reached. */
  bestIteration: number | null;
  /** Validation loss of the current checkpoint (null before the first round or when not finite). */
  lastValLoss: number | null;
  lastValAccuracy: number | null;
  /** Mean training loss of the current checkpoint's last interval (null when not finite). */
  lastTrainLoss: number | null;
  /** Early stopping: validations since the last improvement by more than minDelta. */
  stale: number;
  /** Early stopping: the loss the next improvement must beat by minDelta (see early-stopping.ts). */
  improvementBaseline: number | null;
  /** RL_m = [r_0 .. r_{M-1}] (eq. 3); r_m itself is never used. */
  relationship: number[];
}

/** What happened to one task in one round. */
export interface TransferDecision {
  task: number;
  /** j, the task whose model the slave started from; null when the round had no slave. */
  donor: number | null;
  /** Whether θ̄_m replaced θ_m (its validation loss was strictly lower). */
  accepted: boolean;
  /** J(θ_m | D_m^v) and J(θ̄_m | D_m^v) before the swap; null when absent or not finite. */
  masterValLoss: number | null;
  slaveValLoss: number | null;
  /** r_donor in RL_m before and after eq. 6; null without a donor. */
  relationshipBefore: number | null;
  relationshipAfter: number | null;
}

export interface RoundRecord {
  /** 0-based index of the round. */
  round: number;
  /** Global iteration at the end of the round. */
  iteration: number;
  decisions: TransferDecision[];
}

export interface AmtoState {
  /** Rounds completed; also the index of the next round. */
  round: number;
  /** Training iterations every task has completed (sum of the rounds' steps). */
  iteration: number;
  tasks: TaskState[];
  /** Rounds × tasks that trained a slave, and how many of those slaves were kept. */
  transfersTried: number;
  transfersAccepted: number;
  /** Why the loop ended; null while it runs. */
  stopReason: StopReason | null;
  /**
   * One record per completed round, oldest first. It grows by one record per round; the workflow
   * may drop old records (e.g. before continue-as-new) once they are saved elsewhere; nothing here
   * reads them.
   */
  history: RoundRecord[];
}

export interface TaskAssignment {
  task: number;
  /** The donor j whose checkpoint the slave starts from; null = train no slave this round. */
  donor: number | null;
  /** Checkpoint the master resumes (θ_m). */
  masterFrom: string;
  /** Checkpoint the slave starts from (θ_j), or null without a donor. */
  slaveFrom: string | null;
}

export interface RoundPlan {
  /** 0-based index of the round; stream key of its donor draws. */
  round: number;
  /** Global iteration the round starts at (its first step's index, for the lr and batch schedules). */
  stepsFrom: number;
  /** Iterations to train: the interval, or what is left of the budget. */
  steps: number;
  assignments: TaskAssignment[];
}

/** What training one model for a round produced. */
export interface TrainingOutcome {
  /** Validation loss on the task's own split; null or non-finite if the model diverged. */
  valLoss: ReportedLoss;
  /** Validation accuracy in [0, 1]. */
  valAccuracy: number;
  /** Mean training loss over the round's steps; null or non-finite if the model diverged. */
  trainLoss: ReportedLoss;
  /** Key of the checkpoint written at the end of the round. */
  checkpoint: string;
}

export interface TaskRoundResult {
  task: number;
  master: TrainingOutcome;
  /** Present exactly when the plan gave the task a donor. */
  slave: TrainingOutcome | null;
}

function finiteOrNull(loss: ReportedLoss): number | null {
  return isUsableLoss(loss) ? loss : null;
}

function checkMatchesConfig(state: AmtoState, config: AmtoConfig): void {
  if (state.tasks.length !== config.tasks) {
    throw new Error(`the state has ${state.tasks.length} tasks but the config says tasks = ${config.tasks}`);
  }
}

/** The state before the first round: every RL zero (Algorithm 1, line 6), no validation yet. */
export function initialState(config: AmtoConfig, initialCheckpointKeys: readonly string[]): AmtoState {
  if (initialCheckpointKeys.length !== config.tasks) {
    throw new RangeError(
      `initialCheckpointKeys must have one key per task (got ${initialCheckpointKeys.length} for tasks = ${config.tasks})`,
    );
  }
  const empty = initialCheckpointKeys.findIndex((key) => key.length === 0);
  if (empty >= 0) throw new RangeError(`initialCheckpointKeys[${empty}] must be a non-empty storage key`);
  return {
    round: 0,
    iteration: 0,
    tasks: initialCheckpointKeys.map((checkpoint, task) => ({
      task,
      checkpoint,
      bestValLoss: null,
      bestValAccuracy: null,
      bestCheckpoint: null,
      bestIteration: null,
      lastValLoss: null,
      lastValAccuracy: null,
      lastTrainLoss: null,
      stale: 0,
      improvementBaseline: null,
      relationship: initialCheckpointKeys.map(() => 0),
    })),
    transfersTried: 0,
    transfersAccepted: 0,
    stopReason: null,
    history: [],
  };
}

/** Whether the loop is over (budget spent, early stopping, or the user's stop). */
export function isFinished(state: AmtoState): boolean {
  return state.stopReason !== null;
}

/** The user's stop: the round in flight still completes (applyRound keeps this reason), then the run selects. */
export function requestStop(state: AmtoState): AmtoState {
  return state.stopReason === null ? { ...state, stopReason: 'stopped-by-user' } : state;
}

/**
 * Knowledge reallocation for the next round: each task's donor, drawn from
 * `createStream(seed, 'donor', round, task)`, so a replay draws the same donors.
 */
export function planRound(state: AmtoState, config: AmtoConfig): RoundPlan {
  checkMatchesConfig(state, config);
  if (isFinished(state)) {
    throw new Error(
      `planRound: the run has already finished (${state.stopReason}); select the final model instead`,
    );
  }
  const steps = Math.min(config.interval, config.maxIterations - state.iteration);
  if (steps < 1) {
    throw new Error(
      `planRound: no budget left (iteration ${state.iteration} of maxIterations ${config.maxIterations})`,
    );
  }
  const assignments = state.tasks.map((task): TaskAssignment => {
    const uniform01 = createStream(config.seed, 'donor', state.round, task.task).nextFloat();
    const { mode, temperature } = config.transfer;
    const donor = chooseDonor(mode, task.relationship, task.task, temperature, uniform01);
    const slaveFrom = donor === null ? null : (state.tasks[donor]?.checkpoint ?? null);
    return { task: task.task, donor, masterFrom: task.checkpoint, slaveFrom };
  });
  return { round: state.round, stepsFrom: state.iteration, steps, assignments };
}

function checkOutcome(outcome: TrainingOutcome, where: string): void {
  if (!(outcome.valAccuracy >= 0 && outcome.valAccuracy <= 1)) {
    throw new RangeError(`${where}.valAccuracy must be in [0, 1] (got ${String(outcome.valAccuracy)})`);
  }
  if (typeof outcome.checkpoint !== 'string' || outcome.checkpoint.length === 0) {
    throw new RangeError(`${where}.checkpoint must be a non-empty storage key`);
  }
}

/** The results indexed by task, after checking they answer the plan exactly. */
function resultsByTask(plan: RoundPlan, results: readonly TaskRoundResult[]): TaskRoundResult[] {
  const byTask: (TaskRoundResult | undefined)[] = plan.assignments.map(() => undefined);
  for (const result of results) {
    if (!Number.isInteger(result.task) || result.task < 0 || result.task >= byTask.length) {
      throw new RangeError(
        `result for unknown task ${String(result.task)} (tasks are 0..${byTask.length - 1})`,
      );
    }
    if (byTask[result.task] !== undefined) throw new RangeError(`two results for task ${result.task}`);
    byTask[result.task] = result;
  }
  return plan.assignments.map((assignment) => {
    const result = byTask[assignment.task];
    if (result === undefined) {
      throw new RangeError(`no result for task ${assignment.task} in round ${plan.round}`);
    }
    if ((assignment.donor === null) !== (result.slave === null)) {
      throw new RangeError(
        `task ${assignment.task}: the plan has ${assignment.donor === null ? 'no slave' : `donor ${assignment.donor}`} ` +
          `but the result ${result.slave === null ? 'has no' : 'has a'} slave outcome`,
      );
    }
    checkOutcome(result.master, `task ${assignment.task} master`);
    if (result.slave !== null) checkOutcome(result.slave, `task ${assignment.task} slave`);
    return result;
  });
}

function taskAfterRound(
  task: TaskState,
  assignment: TaskAssignment,
  result: TaskRoundResult,
  config: AmtoConfig,
  iteration: number,
): { task: TaskState; decision: TransferDecision } {
  const { donor } = assignment;
  const { master, slave } = result;
  const accepted = slave !== null && acceptTransfer(master.valLoss, slave.valLoss);
  const relationship =
    donor === null || slave === null
      ? task.relationship.slice()
      : relationshipAfterTransfer(
          config.transfer.mode,
          task.relationship,
          donor,
          master.valLoss,
          slave.valLoss,
        );
  const kept = accepted && slave !== null ? slave : master;
  const keptLoss = finiteOrNull(kept.valLoss);
  const isBest = keptLoss !== null && (task.bestValLoss === null || keptLoss < task.bestValLoss);
  const tracker = observeValidation(
    { baseline: task.improvementBaseline, stale: task.stale },
    keptLoss,
    config.earlyStopping.minDelta,
  );
  return {
    task: {
      task: task.task,
      checkpoint: kept.checkpoint,
      bestValLoss: isBest ? keptLoss : task.bestValLoss,
      bestValAccuracy: isBest ? kept.valAccuracy : task.bestValAccuracy,
      bestCheckpoint: isBest ? kept.checkpoint : task.bestCheckpoint,
      bestIteration: isBest ? iteration : task.bestIteration,
      lastValLoss: keptLoss,
      lastValAccuracy: kept.valAccuracy,
      lastTrainLoss: finiteOrNull(kept.trainLoss),
      stale: tracker.stale,
      improvementBaseline: tracker.baseline,
      relationship,
    },
    decision: {
      task: task.task,
      donor,
      accepted,
      masterValLoss: finiteOrNull(master.valLoss),
      slaveValLoss: slave === null ? null : finiteOrNull(slave.valLoss),
      relationshipBefore: donor === null ? null : (task.relationship[donor] ?? null),
      relationshipAfter: donor === null ? null : (relationship[donor] ?? null),
    },
  };
}

/**
 * Determining transfer, the relationship update (eq. 6, with the losses from before the swap), each
 * task's new current and best checkpoint, early-stopping counters, the iteration budget and the stop
 * reason, for the round `plan` described. When several stop reasons hold, the user's stop wins, then
 * early stopping, then the budget.
 */
export function applyRound(
  state: AmtoState,
  config: AmtoConfig,
  plan: RoundPlan,
  results: readonly TaskRoundResult[],
): { state: AmtoState; decisions: TransferDecision[] } {
  checkMatchesConfig(state, config);
  if (plan.round !== state.round || plan.stepsFrom !== state.iteration) {
    throw new Error(
      `applyRound: the plan is for round ${plan.round} from iteration ${plan.stepsFrom}, ` +
        `but the state is at round ${state.round}, iteration ${state.iteration}`,
    );
  }
  if (plan.assignments.length !== state.tasks.length || plan.assignments.some((a, m) => a.task !== m)) {
    throw new Error('applyRound: the plan must assign every task once, in task order');
  }
  const iteration = state.iteration + plan.steps;
  const byTask = resultsByTask(plan, results);
  const updates = state.tasks.map((task, m) =>
    taskAfterRound(
      task,
      plan.assignments[m] as TaskAssignment,
      byTask[m] as TaskRoundResult,
      config,
      iteration,
    ),
  );
  const tasks = updates.map((update) => update.task);
  const decisions = updates.map((update) => update.decision);
  const earlyStop = shouldStopEarly(
    tasks.map((task) => task.stale),
    config.earlyStopping,
  );
  const stopReason: StopReason | null =
    state.stopReason ?? (earlyStop ? 'early-stopping' : iteration >= config.maxIterations ? 'budget' : null);
  return {
    state: {
      round: state.round + 1,
      iteration,
      tasks,
      transfersTried: state.transfersTried + decisions.filter((d) => d.donor !== null).length,
      transfersAccepted: state.transfersAccepted + decisions.filter((d) => d.accepted).length,
      stopReason,
      history: [...state.history, { round: plan.round, iteration, decisions }],
    },
    decisions,
  };
}

/** Each task's candidate for the final selection: its best checkpoint, or its current one if it never validated. */
export function candidateCheckpoints(state: AmtoState): string[] {
  return state.tasks.map((task) => task.bestCheckpoint ?? task.checkpoint);
}
