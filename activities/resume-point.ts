import { Context } from '@temporalio/activity';

/**
 * What a long activity wants a retry to start from. The activity records it when it changes (after
 * saving an in-interval checkpoint); the activity boundary (workers/activity-boundary.ts) repeats the
 * latest one on every timer heartbeat, because a heartbeat without details would erase it on the server.
 */
const latest = new WeakMap<Context, unknown>();

export function recordResumePoint(details: unknown): void {
  const context = Context.current();
  latest.set(context, details);
  context.heartbeat(details);
}

/** The details the activity last recorded; until it records any, the previous attempt's last ones. */
export function latestResumePoint(context: Context): unknown {
  return latest.has(context) ? latest.get(context) : context.info.heartbeatDetails;
}
