/**
 * Which Temporal task queue trains a task's master or slave. With computing units (paper Fig. 2: one
 * unit = a master device + a slave device) task m is pinned to unit m mod n, so a machine that serves
 * `<master>-k` and `<slave>-k` trains the same tasks every round and keeps its datasets cached.
 */
import type { RunConfig } from './run-config';

/** The two copies of a task trained each round: the master θ_m and the slave θ̄_m started from a donor. */
export const TRAINING_ROLES = ['master', 'slave'] as const;
export type TrainingRole = (typeof TRAINING_ROLES)[number];

/**
 * The queues a worker polls and a run config names when nothing else is said: `control` runs the
 * workflow and its light activities, `master` and `slave` train.
 */
export const DEFAULT_TASK_QUEUES = {
  control: 'amto',
  master: 'amto-master',
  slave: 'amto-slave',
} as const;

export function queueFor(config: Pick<RunConfig, 'queues'>, role: TrainingRole, task: number): string {
  if (!Number.isSafeInteger(task) || task < 0) {
    throw new RangeError(`task must be an integer ≥ 0 (got ${String(task)})`);
  }
  const { computingUnits } = config.queues;
  const base = config.queues[role];
  return computingUnits === 0 ? base : `${base}-${task % computingUnits}`;
}
