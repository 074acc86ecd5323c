import type { Context } from '@temporalio/activity';
import type { Next } from '@temporalio/common';
import type {
  ActivityExecuteInput,
  ActivityInboundCallsInterceptor,
  ActivityInterceptors,
} from '@temporalio/worker';
import { collectPhases, type PhaseTimes } from '../activities/interval-phases';

/** One finished (or failed) trainInterval attempt's phase times. */
export interface IntervalTiming {
  activityId: string;
  attempt: number;
  phases: PhaseTimes;
  /** The attempt's wall time inside the worker; the rest of the round is Temporal and the barrier. */
  totalMs: number;
}

const round = (ms: number): number => Math.round(ms * 10) / 10;

/**
 * Logs where each trainInterval attempt spent its time (load checkpoint, build model, train, validate,
 * save, and the total), and hands the record to `sink` when one is given (benchmarks).
 */
export function intervalTiming(sink?: (timing: IntervalTiming) => void) {
  return (context: Context): ActivityInterceptors => ({
    inbound: {
      execute: (
        input: ActivityExecuteInput,
        next: Next<ActivityInboundCallsInterceptor, 'execute'>,
      ): Promise<unknown> => {
        if (context.info.activityType !== 'trainInterval') return next(input);
        return collectPhases(
          () => next(input),
          (phases, totalMs) => {
            const timing = {
              activityId: context.info.activityId,
              attempt: context.info.attempt,
              phases,
              totalMs,
            };
            context.log.info('interval phases (ms)', {
              ...Object.fromEntries(Object.entries(phases).map(([phase, ms]) => [phase, round(ms)])),
              totalMs: round(totalMs),
            });
            sink?.(timing);
          },
        );
      },
    },
  });
}
