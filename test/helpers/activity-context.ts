/**
 * An activity context as a worker builds one, for running the real activity code (or the activity
 * boundary) in the test process: the heartbeats it sends and the warnings it logs are recorded.
 */
import { asyncLocalStorage, Context, type Info } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { noopMetricMeter, type Logger } from '@temporalio/common';

export interface RecordedContext {
  context: Context;
  beats: unknown[];
  warnings: string[];
}

export function activityContext(info: Partial<Info>, client?: Client): RecordedContext {
  const beats: unknown[] = [];
  const warnings: string[] = [];
  const ignore = () => undefined;
  const log: Logger = {
    log: ignore,
    trace: ignore,
    debug: ignore,
    info: ignore,
    warn: (message) => warnings.push(message),
    error: ignore,
  };
  const context = new Context(
    {
      activityId: '1',
      activityType: 'trainInterval',
      attempt: 1,
      heartbeatDetails: undefined,
      ...info,
    } as Info,
    new Promise<never>(() => undefined),
    new AbortController().signal,
    (details?: unknown) => beats.push(details),
    client,
    log,
    noopMetricMeter,
    {},
  );
  return { context, beats, warnings };
}

/** Runs `work` inside the context, as the worker runs an activity (`Context.current()` is it). */
export function runIn<T>(context: Context, work: () => Promise<T>): Promise<T> {
  return asyncLocalStorage.run(context, work);
}
