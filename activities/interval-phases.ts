/**
 * Where a training interval's time goes: the activity code marks its phases with `timePhase`, and
 * whoever runs the activity inside `collectPhases` receives the sums (a worker interceptor logs them;
 * bench/round-cost.ts tabulates them). Outside `collectPhases` marking costs nothing.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export const intervalPhases = ['loadCheckpoint', 'buildModel', 'train', 'validate', 'save'] as const;
export type IntervalPhase = (typeof intervalPhases)[number];
/** Milliseconds spent in each phase (summed when a phase recurs, e.g. in-interval checkpoint saves). */
export type PhaseTimes = Record<IntervalPhase, number>;

const collector = new AsyncLocalStorage<PhaseTimes>();

/** `await timePhase('train', trainSteps, options)` is `await trainSteps(options)`, timed. */
export async function timePhase<A extends unknown[], T>(
  phase: IntervalPhase,
  work: (...args: A) => Promise<T>,
  ...args: A
): Promise<T> {
  const times = collector.getStore();
  if (times === undefined) return work(...args);
  const started = performance.now();
  try {
    return await work(...args);
  } finally {
    times[phase] += performance.now() - started;
  }
}

/** Runs `work` and reports its phase times and its total wall time, whether it succeeds or throws. */
export async function collectPhases<T>(
  work: () => Promise<T>,
  report: (times: PhaseTimes, totalMs: number) => void,
): Promise<T> {
  const times = Object.fromEntries(intervalPhases.map((phase) => [phase, 0])) as PhaseTimes;
  const started = performance.now();
  try {
    return await collector.run(times, work);
  } finally {
    report(times, performance.now() - started);
  }
}
