/**
 * How a task picks its donor and learns from the outcome, per transfer mode:
 * - `adaptive` (the paper's AMTO): donor drawn from softmax(RL_m / T); RL_m updated by eq. 6.
 * - `uniform`: donor drawn uniformly among the other tasks; RL_m stays frozen at zero (an ablation
 *   that keeps transfer but drops the learned relationships).
 * - `none`: no donor and no slave training at all: M independent runs, selected by harmonic accuracy.
 * With a single task (STO) there is never a donor, whatever the mode.
 */
import { donorProbabilities, sampleDonor, updateRelationship, type ReportedLoss } from './relationship-list';

export type TransferMode = 'adaptive' | 'uniform' | 'none';

/** The probability of each task being task `self`'s donor this round (all zero when there is no donor). */
export function donorDistribution(
  mode: TransferMode,
  relationship: readonly number[],
  self: number,
  temperature: number,
): number[] {
  if (mode === 'none' || relationship.length < 2) return relationship.map(() => 0);
  const weights = mode === 'adaptive' ? relationship : relationship.map(() => 0);
  return donorProbabilities(weights, self, temperature);
}

/** Knowledge reallocation's draw: the donor task, or null when this round has no slave. */
export function chooseDonor(
  mode: TransferMode,
  relationship: readonly number[],
  self: number,
  temperature: number,
  uniform01: number,
): number | null {
  const probabilities = donorDistribution(mode, relationship, self, temperature);
  return probabilities.some((p) => p > 0) ? sampleDonor(probabilities, uniform01) : null;
}

/** RL_m after a transfer attempt from `donor`: eq. 6 in `adaptive` mode, unchanged otherwise. */
export function relationshipAfterTransfer(
  mode: TransferMode,
  relationship: readonly number[],
  donor: number,
  masterLoss: ReportedLoss,
  slaveLoss: ReportedLoss,
): number[] {
  if (mode !== 'adaptive') return relationship.slice();
  return relationship.map((r, j) => (j === donor ? updateRelationship(r, masterLoss, slaveLoss) : r));
}
