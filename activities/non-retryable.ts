import { ApplicationFailure } from '@temporalio/common';

/**
 * Runs `work`, turning any error into a non-retryable failure of the given type: for causes a retry
 * cannot fix (a dataset path that does not exist, an unreadable image), so the run fails at once with the
 * message instead of retrying forever.
 */
export async function failingWithoutRetry<T>(type: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ApplicationFailure) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw ApplicationFailure.create({
      type,
      message,
      nonRetryable: true,
      cause: error instanceof Error ? error : undefined,
    });
  }
}
