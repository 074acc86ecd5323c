/**
 * Which Temporal task queue trains a task's master or slave. With computing units (paper Fig. 2: one
 * unit = a master device + a slave device) task m is pinned to unit m mod n, so a machine that serves
 * `<master>-k` and `<slave>-k` trains the same tasks every round and keeps its datasets cached.
 */
import type { RunConfig } from './run-config';

export type TrainingRole = 'master' | 'slave';

export function queueFor(config: Pick<RunConfig, 'queues'>, role: TrainingRole, task: number): string {
  if (!Number.isSafeInteger(task) || task < 0) {
    throw new RangeError(`task must be an integer ≥ 0 (got ${String(task)})`);
  }
  const { computingUnits } = config.queues;
  const base = config.queues[role];
  return computingUnits === 0 ? base : `${base}-${task % computingUnits}`;
}
