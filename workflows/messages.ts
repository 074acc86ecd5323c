/** The amtoTraining workflow's queries, updates and signals, in one place for client and workflow. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { StopReason, TransferDecision } from '../amto';

export type RunPhase = 'preparing' | 'training' | 'paused' | 'selecting' | 'finished';

export interface TaskProgress {
  task: number;
  valLoss: number | null;
  valAccuracy: number | null;
  trainLoss: number | null;
  bestValLoss: number | null;
  /** Validations since the task last improved (early stopping counts these). */
  stale: number;
}

/** An activity whose last attempt failed (or timed out) and that Temporal is retrying. */
export interface RetryingActivity {
  activityId: string;
  activityType: string;
  /** The attempt now running or about to run (2 = first retry). */
  attempt: number;
  /** The last failure's type and message; null when the attempt before ended without one (killed worker). */
  lastError: string | null;
  /** When the activity boundary reported it (ISO 8601). */
  since: string;
}

/** Sent by the activity boundary (workers/activity-boundary.ts): an attempt failed, or a retry succeeded. */
export type ActivityAttemptNote =
  { kind: 'retrying'; activity: RetryingActivity } | { kind: 'recovered'; activityId: string };

export interface RunProgress {
  runId: string;
  phase: RunPhase;
  /** Rounds completed. */
  round: number;
  /** Rounds the iteration budget allows. */
  maxRounds: number;
  iteration: number;
  maxIterations: number;
  tasks: TaskProgress[];
  /** The last completed round's donors and transfer decisions. */
  lastRound: { round: number; decisions: TransferDecision[] } | null;
  /** RL matrix: row m is task m's relationship list. */
  relationship: number[][];
  best: { task: number; valLoss: number } | null;
  transfersTried: number;
  transfersAccepted: number;
  stopRequested: boolean;
  stopReason: StopReason | null;
  /** Activities retrying after a failure, with their attempt and last error. */
  retrying: RetryingActivity[];
}

export const progressQuery = defineQuery<RunProgress>('progress');
/** Finish the round in flight, then select the final model. Returns the round that will be the last. */
export const stopUpdate = defineUpdate<{ finishingRound: number }>('stop');
/** Hold before the next round starts (the round in flight completes). */
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const activityAttemptSignal = defineSignal<[ActivityAttemptNote]>('activityAttempt');
