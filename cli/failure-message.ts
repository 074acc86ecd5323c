import { ActivityFailure, ApplicationFailure } from '@temporalio/client';

/**
 * What a user needs from a failed run: the error that caused it, not "Workflow execution failed" or
 * "Activity task failed". Follows the cause chain to the first ApplicationFailure (the activity's or
 * workflow's own error, with its type), naming the activity it came from.
 */
export function failureMessage(error: unknown): string {
  let activity: string | null = null;
  for (
    let cause = error as Error | undefined;
    cause !== undefined;
    cause = cause.cause as Error | undefined
  ) {
    if (cause instanceof ActivityFailure) activity = cause.activityType ?? null;
    if (cause instanceof ApplicationFailure) {
      const type = cause.type ?? 'Error';
      return `${activity === null ? '' : `${activity}: `}${type}: ${cause.message}`;
    }
    if (cause.cause === undefined) return cause.message;
  }
  return String(error);
}
