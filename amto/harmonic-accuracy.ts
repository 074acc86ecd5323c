/**
 * Harmonic accuracy (paper eq. 7): A_har = M / Σ_m 1/A_m over the M validation sets.
 *
 * It rewards a model that is good on every validation set: one weak set pulls it down far more than
 * an arithmetic mean would. If any A_m is 0 the sum diverges and A_har is defined as 0 (its limit),
 * so a model that fails one validation set entirely can never be chosen over one that does not.
 */

/** A_har of one model's accuracies (each in [0, 1]) on the M validation sets. */
export function harmonicAccuracy(accuracies: readonly number[]): number {
  if (accuracies.length === 0) throw new RangeError('harmonic accuracy needs at least one accuracy');
  const bad = accuracies.findIndex((a) => !(a >= 0 && a <= 1));
  if (bad >= 0) throw new RangeError(`accuracies[${bad}] must be in [0, 1] (got ${String(accuracies[bad])})`);
  if (accuracies.some((a) => a === 0)) return 0;
  return accuracies.length / accuracies.reduce((sum, a) => sum + 1 / a, 0);
}
