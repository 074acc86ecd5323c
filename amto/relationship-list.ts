/**
 * The relationship list RL_m = [r_1 .. r_M] of one task (paper eq. 3) and the two operations on it:
 * donor probabilities (eq. 4) and the update after a transfer attempt (eq. 6).
 *
 * Losses may be missing (`null`) or not finite when a model diverged; JSON carries NaN as null, so a
 * loss that crossed a Temporal payload arrives as null. Such a loss counts as +∞: a diverged model is
 * worse than any model with a finite loss, and two diverged models are equal.
 */

/** A validation loss as reported by training: null or a non-finite number means "diverged". */
export type ReportedLoss = number | null;

function lossOrInfinity(loss: ReportedLoss): number {
  return loss !== null && Number.isFinite(loss) ? loss : Infinity;
}

/** True when the loss is a finite number. */
export function isUsableLoss(loss: ReportedLoss): loss is number {
  return loss !== null && Number.isFinite(loss);
}

/**
 * Eq. 4 with a temperature T: p_j = exp(r_j / T) / Σ_{k≠self} exp(r_k / T) for j ≠ self, p_self = 0.
 * The largest exponent is subtracted first, so r of any finite size gives finite probabilities.
 * With a single task there is no donor and every probability is 0.
 */
export function donorProbabilities(
  relationship: readonly number[],
  self: number,
  temperature: number,
): number[] {
  if (!Number.isInteger(self) || self < 0 || self >= relationship.length) {
    throw new RangeError(
      `self must index the relationship list (got ${String(self)} for ${relationship.length} tasks)`,
    );
  }
  if (!(temperature > 0 && Number.isFinite(temperature))) {
    throw new RangeError(`temperature must be a finite number > 0 (got ${String(temperature)})`);
  }
  const bad = relationship.findIndex((r) => !Number.isFinite(r));
  if (bad >= 0) {
    throw new RangeError(`relationship[${bad}] must be a finite number (got ${String(relationship[bad])})`);
  }
  let largest = -Infinity;
  relationship.forEach((r, j) => {
    if (j !== self && r > largest) largest = r;
  });
  const weights = relationship.map((r, j) => (j === self ? 0 : Math.exp((r - largest) / temperature)));
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  return weights.map((weight) => (total > 0 ? weight / total : 0));
}

/**
 * Inverse-CDF sampling: the first index whose cumulative probability exceeds `uniform01` (in [0, 1)).
 * If rounding leaves the total just below `uniform01`, the last index with a positive probability wins.
 */
export function sampleDonor(probabilities: readonly number[], uniform01: number): number {
  if (!(uniform01 >= 0 && uniform01 < 1)) {
    throw new RangeError(`uniform01 must be in [0, 1) (got ${String(uniform01)})`);
  }
  const bad = probabilities.findIndex((p) => !(p >= 0 && Number.isFinite(p)));
  if (bad >= 0) {
    throw new RangeError(
      `probabilities[${bad}] must be a finite number ≥ 0 (got ${String(probabilities[bad])})`,
    );
  }
  let cumulative = 0;
  let lastPositive = -1;
  for (let j = 0; j < probabilities.length; j++) {
    const p = probabilities[j] as number;
    if (p === 0) continue;
    lastPositive = j;
    cumulative += p;
    if (uniform01 < cumulative) return j;
  }
  if (lastPositive < 0) {
    throw new RangeError('no donor has a positive probability (a single task has no donor)');
  }
  return lastPositive;
}

/**
 * Eq. 6: r_j ← r_j + tanh(J(θ_m | D_m^v) − J(θ̄_m | D_m^v)), with the master's and the slave's
 * validation losses from before the transfer decision. Each step moves r by less than 1 in either
 * direction (exactly ±1 when one side diverged, 0 when both did).
 */
export function updateRelationship(r: number, masterLoss: ReportedLoss, slaveLoss: ReportedLoss): number {
  const master = lossOrInfinity(masterLoss);
  const slave = lossOrInfinity(slaveLoss);
  return master === slave ? r : r + Math.tanh(master - slave);
}

/** Determining transfer (Algorithm 1, line 14): the slave replaces the master iff its loss is strictly lower. */
export function acceptTransfer(masterLoss: ReportedLoss, slaveLoss: ReportedLoss): boolean {
  return isUsableLoss(slaveLoss) && lossOrInfinity(slaveLoss) < lossOrInfinity(masterLoss);
}
