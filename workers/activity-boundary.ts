import type { Context } from '@temporalio/activity';
import type { Next } from '@temporalio/common';
import type {
  ActivityExecuteInput,
  ActivityInboundCallsInterceptor,
  ActivityInterceptors,
} from '@temporalio/worker';
import { failureFor } from '../activities/non-retryable';
import { latestResumePoint } from '../activities/resume-point';

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
 * Failures: every error leaves as an ApplicationFailure whose retryability comes from one table.
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
    try {
      return await next(input);
    } catch (error) {
      throw failureFor(error);
    } finally {
      if (timer !== undefined) clearInterval(timer);
    }
  }
}

export function activityBoundary(context: Context): ActivityInterceptors {
  return { inbound: new ActivityBoundary(context) };
}
