import type { Context } from '@temporalio/activity';
import type { Next } from '@temporalio/common';
import type {
  ActivityExecuteInput,
  ActivityInboundCallsInterceptor,
  ActivityInterceptors,
} from '@temporalio/worker';
import { failureFor } from '../activities/non-retryable';
import { latestResumePoint } from '../activities/resume-point';
import { activityAttemptSignal, type ActivityAttemptNote } from '../workflows/messages';

/** Beats per heartbeat timeout: a few may be lost or delayed by a long step without the activity timing out. */
const beatsPerTimeout = 4;
const minBeatMs = 200;
const maxBeatMs = 5_000;

/** How often to heartbeat for an activity with this heartbeat timeout. */
export function heartbeatIntervalMs(heartbeatTimeoutMs: number): number {
  return Math.min(maxBeatMs, Math.max(minBeatMs, Math.floor(heartbeatTimeoutMs / beatsPerTimeout)));
}

/**
 * The one boundary every activity runs through. Liveness: while the activity runs, a timer heartbeats
 * (repeating the activity's latest resume point), so dataset loading, evaluation and saving count as
 * alive as much as training steps do; only a process that stops running JavaScript for longer than the
 * heartbeat timeout (killed, frozen, or one step longer than the timeout) is retried elsewhere.
 * Failures: every error leaves as an ApplicationFailure whose retryability comes from one table, and
 * the workflow hears of every retry (attempt and last error) for its progress query and its
 * AmtoRetrying search attribute.
 */
export class ActivityBoundary implements ActivityInboundCallsInterceptor {
  constructor(private readonly context: Context) {}

  async execute(
    input: ActivityExecuteInput,
    next: Next<ActivityInboundCallsInterceptor, 'execute'>,
  ): Promise<unknown> {
    const { context } = this;
    const timeoutMs = context.info.heartbeatTimeoutMs;
    const timer =
      timeoutMs === undefined || timeoutMs <= 0
        ? undefined
        : setInterval(() => context.heartbeat(latestResumePoint(context)), heartbeatIntervalMs(timeoutMs));
    const { attempt } = context.info;
    if (attempt > 1) this.tell({ kind: 'retrying', activity: this.retrying(attempt, null) });
    try {
      const result = await next(input);
      if (attempt > 1) this.tell({ kind: 'recovered', activityId: context.info.activityId });
      return result;
    } catch (error) {
      const failure = failureFor(error);
      if (!failure.nonRetryable && !context.cancellationSignal.aborted) {
        this.tell({
          kind: 'retrying',
          activity: this.retrying(attempt + 1, `${failure.type ?? 'Error'}: ${failure.message}`),
        });
      }
      throw failure;
    } finally {
      if (timer !== undefined) clearInterval(timer);
    }
  }

  private retrying(attempt: number, lastError: string | null) {
    const { activityId, activityType } = this.context.info;
    return { activityId, activityType, attempt, lastError, since: new Date().toISOString() };
  }

  /** Best effort: a Temporal server that cannot take the signal must not change the activity's outcome. */
  private tell(note: ActivityAttemptNote): void {
    const execution = this.context.info.workflowExecution;
    if (execution === undefined) return;
    this.context.client.workflow
      .getHandle(execution.workflowId, execution.runId)
      .signal(activityAttemptSignal, note)
      .catch((error: unknown) =>
        this.context.log.warn('could not tell the workflow about a retry', { error: String(error) }),
      );
  }
}

export function activityBoundary(context: Context): ActivityInterceptors {
  return { inbound: new ActivityBoundary(context) };
}
