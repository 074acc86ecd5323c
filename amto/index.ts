/** The pure AMTO core: safe to import from Temporal workflow code (no Node APIs, no I/O, no clock). */
export { RandomStream, createStream, seedFor } from './prng';
export { drawHoldout, drawSplits, randomValidationSize, smallestTrainSize } from './splits';
export type { HoldoutOptions, SplitMode, SplitOptions, TaskSplit } from './splits';
export { batchIndices, epochPermutation } from './batch-schedule';
export type { BatchRequest } from './batch-schedule';
export {
  acceptTransfer,
  donorProbabilities,
  isUsableLoss,
  sampleDonor,
  updateRelationship,
} from './relationship-list';
export type { ReportedLoss } from './relationship-list';
export { chooseDonor, donorDistribution, relationshipAfterTransfer } from './transfer-policy';
export type { TransferMode } from './transfer-policy';
export { harmonicAccuracy } from './harmonic-accuracy';
export { chooseFinalModel } from './final-selection';
export type { FinalSelection } from './final-selection';
export { observeValidation, shouldStopEarly } from './early-stopping';
export type { EarlyStoppingMode, EarlyStoppingSettings, ImprovementTracker } from './early-stopping';
export { learningRateAt } from './lr-schedule';
export type { LearningRateSchedule } from './lr-schedule';
export { parseRunConfig, runConfigSchema } from './run-config';
export { InvalidDocumentError, describeIssues, parseDocument } from './document-problems';
export {
  accuracy,
  finiteNumber,
  flag,
  integer,
  integerIn,
  nonEmptyText,
  numberAbove,
  oneOf,
} from './document-fields';
export type { RunConfig, RunConfigInput, RunConfigParseResult } from './run-config';
export { RUN_ID_MAX_LENGTH, RUN_ID_PATTERN, RUN_ID_RULE, isRunId } from './run-id';
export { DEFAULT_TASK_QUEUES, TRAINING_ROLES, queueFor } from './task-queues';
export type { TrainingRole } from './task-queues';
export {
  applyRound,
  candidateCheckpoints,
  initialState,
  isFinished,
  planRound,
  requestStop,
} from './amto-state';
export { amtoStateSchema } from './amto-state-schema';
export type {
  AmtoConfig,
  AmtoState,
  RoundPlan,
  RoundRecord,
  StopReason,
  TaskAssignment,
  TaskRoundResult,
  TaskState,
  TrainingOutcome,
  TransferDecision,
} from './amto-state';
