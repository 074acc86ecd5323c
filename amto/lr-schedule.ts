/**
 * Step-decay learning rate (paper §IV-B: 1e-3, × 0.1 at iterations 2e3 and 7e3). `step` is the task's
 * global iteration count, 0-based, so a model handed to another task (knowledge reallocation) keeps the
 * schedule position of the round it is trained in.
 */

export interface LearningRateSchedule {
  base: number;
  /** Steps at which the rate is multiplied by gamma, strictly increasing. */
  milestones: readonly number[];
  gamma: number;
}

/** The rate used for update number `step` (0-based): base · gamma^(number of milestones ≤ step). */
export function learningRateAt(step: number, schedule: LearningRateSchedule): number {
  if (!Number.isSafeInteger(step) || step < 0) {
    throw new RangeError(`step must be an integer ≥ 0 (got ${String(step)})`);
  }
  const passed = schedule.milestones.filter((milestone) => milestone <= step).length;
  return schedule.base * schedule.gamma ** passed;
}
