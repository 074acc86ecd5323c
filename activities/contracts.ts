/**
 * What crosses between the workflow and its activities: keys and numbers, never weights (Temporal
 * payloads stop at 2 MB). The workflow imports these as types only.
 */
import { z } from 'zod';
import type { AmtoState, RunConfig, TrainingRole } from '../amto';

export interface PrepareRunInput {
  runId: string;
  config: RunConfig;
}

export interface PreparedRun {
  /** The current checkpoint of every task before round 1. */
  initialCheckpoints: string[];
  splitManifestKey: string;
  datasetName: string;
  trainSizes: number[];
  validationSizes: number[];
  testSize: number;
  numClasses: number;
  /** Where checkpoint keys live, e.g. s3://amto or file:///data/amto (no trailing slash). */
  storageUrl: string;
  /**
   * FLOPs of one forward pass for one image: the workflow sizes activity timeouts from it. Absent in
   * runs prepared before it was recorded (then sized as the largest zoo model).
   */
  forwardFlops?: number;
}

export interface TrainIntervalInput {
  runId: string;
  config: RunConfig;
  round: number;
  task: number;
  role: TrainingRole;
  /** The donor task whose weights the slave starts from (the task itself for the master). */
  sourceTask: number;
  fromCheckpoint: string;
  /** The task's global iteration before this interval: the batch schedule and lr follow it. */
  fromStep: number;
  steps: number;
}

export interface TrainIntervalResult {
  /** The interval's checkpoint; for a diverged model the one it started from (NaN weights are never saved). */
  checkpoint: string;
  /** null when the model diverged: amto/ counts a missing loss as +∞. */
  trainLoss: number | null;
  valLoss: number | null;
  valAccuracy: number;
  /** Steps done by this attempt (fewer than asked when it resumed from an in-interval checkpoint). */
  stepsRun: number;
  resumedFromStep: number | null;
  /** Set when the loss or weights became NaN or infinite: the step and the message. */
  diverged: { step: number; message: string } | null;
}

/**
 * A retry's resume point, named in the activity heartbeat: an in-interval checkpoint and facts *of that
 * checkpoint* only, recorded once it is saved. Progress past it is never reported, so a retry can
 * neither skip nor repeat a step. Written by trainInterval; parsed with this schema wherever it is read.
 */
export const trainIntervalHeartbeatSchema = z.object({
  checkpoint: z.string().min(1),
  /** The global step the checkpoint holds; a retry checks the checkpoint's own step against it. */
  step: z.number().int().nonnegative(),
  /** Sum of the per-step training losses from the interval's first step up to `step`. */
  lossSum: z.number(),
});

export type TrainIntervalHeartbeat = z.infer<typeof trainIntervalHeartbeatSchema>;

export type EvaluationSplit = { kind: 'validation'; task: number } | { kind: 'test' };

export interface EvaluateInput {
  runId: string;
  config: RunConfig;
  checkpoint: string;
  splits: EvaluationSplit[];
}

export interface SplitScore {
  split: EvaluationSplit;
  loss: number;
  accuracy: number;
  count: number;
}

export interface WriteRunStateInput {
  runId: string;
  round: number;
  document: RunStateDocument;
}

export interface ApplyRetentionInput {
  runId: string;
  currentRound: number;
  keepRounds: number;
  /** Checkpoint keys some task still points at (current, best, donor): never deleted. */
  referenced: string[];
}

/** The run's final answer (also the workflow result). */
export interface AmtoTrainingResult {
  runId: string;
  chosenTask: number;
  harmonicAccuracy: number;
  /** Accuracy of the chosen model on each task's validation split. */
  validationAccuracies: number[];
  testAccuracy: number | null;
  rounds: number;
  iterations: number;
  transfersTried: number;
  transfersAccepted: number;
  stopReason: string;
  /** URL of the chosen model's checkpoint (s3://bucket/key or file://…). */
  checkpoint: string;
}

/**
 * What `runs/<runId>/state/round-<r>.json` and `latest.json` hold: everything needed to resume the run
 * without Temporal's history. `state.history` holds only the round's own record; the per-round
 * documents together are the decision log.
 */
export interface RunStateDocument {
  version: 1;
  runId: string;
  workflowId: string;
  config: RunConfig;
  prepared: PreparedRun;
  state: AmtoState;
  result: AmtoTrainingResult | null;
}

/** The activities `createActivities(deps)` provides; the workflow proxies this interface. */
export interface AmtoActivities {
  prepareRun(input: PrepareRunInput): Promise<PreparedRun>;
  trainInterval(input: TrainIntervalInput): Promise<TrainIntervalResult>;
  evaluate(input: EvaluateInput): Promise<SplitScore[]>;
  writeRunState(input: WriteRunStateInput): Promise<void>;
  applyRetention(input: ApplyRetentionInput): Promise<{ deleted: number }>;
}
