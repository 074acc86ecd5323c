/**
 * Pearson's chi-square goodness-of-fit for the sampling tests, with its critical value computed from
 * the Wilson–Hilferty approximation (accurate to well under 1% for the degrees of freedom used here).
 */

/** Standard normal quantile for a one-sided significance of 0.001. */
const Z_0_999 = 3.090232;

/** The chi-square value above which the fit is rejected at significance 0.001. */
export function chiSquareCritical(degreesOfFreedom: number): number {
  const k = degreesOfFreedom;
  return k * (1 - 2 / (9 * k) + Z_0_999 * Math.sqrt(2 / (9 * k))) ** 3;
}

/** Σ (observed − expected)² / expected over the categories with a positive expectation. */
export function chiSquareStatistic(observed: readonly number[], expected: readonly number[]): number {
  return observed.reduce((sum, count, i) => {
    const e = expected[i] ?? 0;
    return e > 0 ? sum + (count - e) ** 2 / e : sum;
  }, 0);
}
