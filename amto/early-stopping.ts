/**
 * Early stopping (paper §IV-B: stop "if the validation loss of any tasks does not reduce after 10
 * consecutive validations").
 *
 * Per task we count validations since its last improvement. An improvement is a loss below the
 * baseline by more than `minDelta`; the baseline is the loss of the last improvement (so, as in
 * Keras, many tiny gains add up and eventually count). The first finite loss always improves; a loss
 * that is not finite (diverged) never does.
 * Mode `any` (the paper's) stops when one task has gone `patience` validations without improvement;
 * mode `all` waits until every task has.
 */
import { isUsableLoss, type ReportedLoss } from './relationship-list';

export type EarlyStoppingMode = 'any' | 'all';

export interface EarlyStoppingSettings {
  /** p: validations without improvement that trigger the stop. */
  patience: number;
  mode: EarlyStoppingMode;
  /** Smallest decrease of the validation loss that counts as an improvement. */
  minDelta: number;
}

export interface ImprovementTracker {
  /** Loss of the last improvement (the loss to beat by minDelta); null before the first finite loss. */
  baseline: number | null;
  /** Validations since the last improvement. */
  stale: number;
}

/** The tracker after one more validation with loss `valLoss`. */
export function observeValidation(
  tracker: ImprovementTracker,
  valLoss: ReportedLoss,
  minDelta: number,
): ImprovementTracker {
  const improved =
    isUsableLoss(valLoss) && (tracker.baseline === null || valLoss < tracker.baseline - minDelta);
  return improved
    ? { baseline: valLoss, stale: 0 }
    : { baseline: tracker.baseline, stale: tracker.stale + 1 };
}

/** Whether the run stops, given every task's count of validations without improvement. */
export function shouldStopEarly(
  staleCounts: readonly number[],
  settings: Pick<EarlyStoppingSettings, 'patience' | 'mode'>,
): boolean {
  const exhausted = (stale: number): boolean => stale >= settings.patience;
  return settings.mode === 'any'
    ? staleCounts.some(exhausted)
    : staleCounts.length > 0 && staleCounts.every(exhausted);
}
