/** Means, sample standard deviations and paired 95 % confidence intervals (Student's t). */

export function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

export function sampleStd(values: readonly number[]): number {
  if (values.length < 2) return Number.NaN;
  const m = mean(values);
  return Math.sqrt(values.reduce((sum, value) => sum + (value - m) ** 2, 0) / (values.length - 1));
}

/** Two-sided 97.5 % quantiles of Student's t for 1…10 degrees of freedom. */
const t975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228];

/** Mean of the paired differences with its 95 % confidence interval; null with fewer than two pairs. */
export function pairedDifference(
  differences: readonly number[],
): { mean: number; low: number; high: number; n: number } | null {
  const n = differences.length;
  const t = t975[n - 2];
  if (n < 2 || t === undefined) return null;
  const m = mean(differences);
  const half = (t * sampleStd(differences)) / Math.sqrt(n);
  return { mean: m, low: m - half, high: m + half, n };
}
