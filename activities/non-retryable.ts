import { ApplicationFailure } from '@temporalio/common';

/**
 * The one table of what a retry can fix, by error type (an Error's `name`, or an ApplicationFailure's
 * `type`). Every activity failure goes through `failureFor` at the activity boundary
 * (workers/activity-boundary.ts), so the workflow's retry policy needs no list of its own.
 * Types not in the table are retried: an unknown error is more often a lost connection than a bug, and
 * a retrying activity shows its attempt and last error in `amto status`.
 */
export const retryableByErrorType = {
  // Storage (storage/errors.ts): the store is down, overloaded or frozen; it comes back.
  StoreUnavailable: true,
  // Storage: the credentials, bucket or URL are wrong; retrying asks the same question again.
  StoreAccessDenied: false,
  StoreConfiguration: false,
  InvalidKey: false,
  ObjectNotFound: false,
  CheckpointNotFound: false,
  CorruptObject: false,
  CorruptCheckpoint: false,
  RunNotFound: false,
  DatasetError: false,
  // Activities: the user's input cannot work as given.
  InvalidRunConfig: false,
  InvalidDataset: false,
  /** prepareRun: the run id already has data and the input is not a resume of it. */
  RunDataExists: false,
  // Training is deterministic given (seed, task, step): a model that diverged diverges again on retry.
  TrainingDiverged: false,
} as const satisfies Record<string, boolean>;

export type KnownErrorType = keyof typeof retryableByErrorType;

function isKnownType(type: string): type is KnownErrorType {
  return Object.prototype.hasOwnProperty.call(retryableByErrorType, type);
}

/** Whether a retry can fix an error of this type (true for types the table does not name). */
export function isRetryableErrorType(type: string): boolean {
  return isKnownType(type) ? retryableByErrorType[type] : true;
}

/** The error types no retry can fix: the table's `false` rows. */
export const nonRetryableErrorTypes: readonly string[] = Object.entries(retryableByErrorType)
  .filter(([, retryable]) => !retryable)
  .map(([type]) => type);

function typeOf(error: unknown): string {
  if (error instanceof ApplicationFailure) return error.type ?? 'Error';
  return error instanceof Error ? error.name : 'Error';
}

/**
 * The Temporal failure an activity error becomes: its type kept, non-retryable exactly when the table
 * says so. `fallbackType` names errors the table does not know (e.g. a decoder's plain Error while
 * reading the user's dataset): they become that type instead, and are retried only if that type is.
 */
export function failureFor(error: unknown, fallbackType?: KnownErrorType): ApplicationFailure {
  const known = isKnownType(typeOf(error));
  // A failure an activity built on purpose, of a type the table does not know, keeps its own flag.
  if (error instanceof ApplicationFailure && !known && fallbackType === undefined) return error;
  const type = known || fallbackType === undefined ? typeOf(error) : fallbackType;
  const nonRetryable = !isRetryableErrorType(type);
  if (error instanceof ApplicationFailure && error.type === type && error.nonRetryable === nonRetryable) {
    return error;
  }
  const message = error instanceof Error ? error.message : String(error);
  return ApplicationFailure.create({
    type,
    message,
    nonRetryable,
    details: error instanceof ApplicationFailure ? (error.details ?? undefined) : undefined,
    cause: error instanceof Error && !(error instanceof ApplicationFailure) ? error : undefined,
  });
}

/**
 * Runs `work`, giving errors the table does not know the type `fallbackType` (so a decoder's plain
 * Error while reading the user's dataset becomes InvalidDataset), while known ones keep theirs: a
 * StoreUnavailable during an s3:// download stays retryable.
 */
export async function classifyingAs<T>(fallbackType: KnownErrorType, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw failureFor(error, fallbackType);
  }
}
