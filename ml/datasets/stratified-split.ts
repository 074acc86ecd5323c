import { mixSeeds, shuffleInPlace, uniformSource } from './seeded-random';

/** Separates this use of the seed from others (batch order, flips) drawn from the same run seed. */
const SPLIT_STREAM = 0x5e1ec7;

/**
 * Splits sample indices into train and test so every class keeps its proportion (round(n_c × fraction)
 * test images per class, at least one while the class has two or more). Deterministic in `seed`; both
 * index lists come back sorted.
 */
export function stratifiedSplit(
  labels: ArrayLike<number>,
  testFraction: number,
  seed: number,
): { train: number[]; test: number[] } {
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new Error(`stratifiedSplit: testFraction must be between 0 and 1 (exclusive); got ${testFraction}`);
  }
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i] as number;
    const members = byClass.get(label) ?? [];
    members.push(i);
    byClass.set(label, members);
  }
  const uniform01 = uniformSource(mixSeeds(seed, SPLIT_STREAM));
  const train: number[] = [];
  const test: number[] = [];
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const members = shuffleInPlace(byClass.get(label) as number[], uniform01);
    const testCount = Math.min(members.length - 1, Math.max(1, Math.round(members.length * testFraction)));
    test.push(...members.slice(0, testCount));
    train.push(...members.slice(testCount));
  }
  const ascending = (a: number, b: number): number => a - b;
  return { train: train.sort(ascending), test: test.sort(ascending) };
}
