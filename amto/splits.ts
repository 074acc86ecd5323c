/**
 * The M (train, validation) splits of the gross training set, one per task (paper §III-B.1).
 *
 * - `random` (the paper's): each task draws its own validation subset of round(n · validationFraction)
 *   samples from its own stream, so validation sets of different tasks may overlap.
 * - `kfold`: the samples are dealt into M disjoint folds; task m validates on fold m and trains on the
 *   rest, so every sample is validated by exactly one task. `validationFraction` is ignored (each fold
 *   holds about n / M samples).
 *
 * With `stratified`, class proportions are kept: in `random` mode every class contributes its share
 * of the validation set (largest-remainder rounding, the total stays round(n · fraction)); in `kfold`
 * mode every fold gets ⌊n_c / M⌋ or ⌈n_c / M⌉ samples of each class c.
 *
 * Returned index arrays are sorted ascending (so a split is easy to compare, store and diff); batch
 * order is the batch schedule's job, not the split's.
 */
import { createStream, type RandomStream } from './prng';

export type SplitMode = 'random' | 'kfold';

export interface SplitOptions {
  /** Number of samples in the gross training set; indices are 0..n-1. */
  n: number;
  /** Class label per sample (length n); required when `stratified` is true. */
  labels?: readonly number[];
  /** M, the number of tasks (one split each). */
  tasks: number;
  mode: SplitMode;
  /** Share of samples held out for validation in `random` mode; ignored by `kfold`. */
  validationFraction: number;
  stratified: boolean;
  seed: number;
}

export interface TaskSplit {
  /** Sample indices task m trains on (D_m^t), ascending. */
  train: number[];
  /** Sample indices task m validates on (D_m^v), ascending. */
  validation: number[];
}

/** Size of each task's validation set in `random` mode. */
export function randomValidationSize(n: number, validationFraction: number): number {
  return Math.round(n * validationFraction);
}

/**
 * The smallest training split any task gets, without drawing the splits (used to check a config
 * before any data is read). In `kfold` mode the largest fold has ⌈n / M⌉ samples.
 */
export function smallestTrainSize(
  options: Pick<SplitOptions, 'n' | 'tasks' | 'mode' | 'validationFraction'>,
): number {
  const { n, tasks, mode, validationFraction } = options;
  return mode === 'kfold' ? n - Math.ceil(n / tasks) : n - randomValidationSize(n, validationFraction);
}

function checkOptions(options: SplitOptions): void {
  const { n, tasks, mode, validationFraction, labels, stratified } = options;
  if (!Number.isSafeInteger(n) || n < 2) {
    throw new RangeError(
      `n must be an integer ≥ 2 (got ${String(n)}): a split needs a train and a validation sample`,
    );
  }
  if (!Number.isSafeInteger(tasks) || tasks < 1) {
    throw new RangeError(`tasks must be an integer ≥ 1 (got ${String(tasks)})`);
  }
  if (mode === 'kfold') {
    if (tasks < 2) {
      throw new RangeError(`kfold splits need tasks ≥ 2 (got ${tasks}); use mode 'random' for one task`);
    }
    if (tasks > n) {
      throw new RangeError(`kfold splits need tasks ≤ n (got tasks ${tasks}, n ${n}): a fold would be empty`);
    }
  } else {
    if (!(validationFraction > 0 && validationFraction < 1)) {
      throw new RangeError(`validationFraction must be in (0, 1) (got ${String(validationFraction)})`);
    }
    const validationSize = randomValidationSize(n, validationFraction);
    if (validationSize === 0) {
      throw new RangeError(
        `validationFraction ${validationFraction} of n ${n} gives an empty validation set; raise validationFraction or n`,
      );
    }
    if (validationSize === n) {
      throw new RangeError(
        `validationFraction ${validationFraction} of n ${n} leaves no training sample; lower validationFraction or raise n`,
      );
    }
  }
  if (labels !== undefined) {
    if (labels.length !== n) {
      throw new RangeError(`labels must have one entry per sample (got ${labels.length} labels for n ${n})`);
    }
    const bad = labels.findIndex((label) => !Number.isInteger(label));
    if (bad >= 0) {
      throw new RangeError(`labels[${bad}] must be an integer class id (got ${String(labels[bad])})`);
    }
  } else if (stratified) {
    throw new RangeError('stratified splits need labels: pass labels, or set stratified to false');
  }
}

/** Sample indices grouped by class, classes in ascending label order (a fixed order keeps draws reproducible). */
function indicesByClass(labels: readonly number[]): number[][] {
  const groups = new Map<number, number[]>();
  labels.forEach((label, index) => {
    const group = groups.get(label);
    if (group === undefined) groups.set(label, [index]);
    else group.push(index);
  });
  return [...groups.keys()].sort((a, b) => a - b).map((label) => groups.get(label) ?? []);
}

/** Per-class validation quotas summing to `total`: floors of the exact shares, then the largest remainders get +1. */
function classQuotas(classSizes: readonly number[], total: number, n: number): number[] {
  const exact = classSizes.map((size) => (size * total) / n);
  const quotas = exact.map(Math.floor);
  let missing = total - quotas.reduce((sum, quota) => sum + quota, 0);
  const byRemainder = exact
    .map((share, classIndex) => ({ classIndex, remainder: share - Math.floor(share) }))
    .sort((a, b) => b.remainder - a.remainder || a.classIndex - b.classIndex);
  for (const { classIndex } of byRemainder) {
    if (missing === 0) break;
    quotas[classIndex] = (quotas[classIndex] ?? 0) + 1;
    missing--;
  }
  return quotas;
}

/** The first `count` entries of a uniformly shuffled copy: a uniform random subset (partial Fisher–Yates). */
function sampleWithoutReplacement(pool: readonly number[], count: number, stream: RandomStream): number[] {
  const items = pool.slice();
  for (let i = 0; i < count; i++) {
    const j = i + stream.nextInt(items.length - i);
    const held = items[i] as number;
    items[i] = items[j] as number;
    items[j] = held;
  }
  return items.slice(0, count);
}

function splitFromValidation(n: number, validation: number[]): TaskSplit {
  const isValidation = new Uint8Array(n);
  for (const index of validation) isValidation[index] = 1;
  const train: number[] = [];
  for (let index = 0; index < n; index++) if (isValidation[index] === 0) train.push(index);
  return { train, validation: validation.sort((a, b) => a - b) };
}

/** `size` samples drawn from the class groups, each class contributing its largest-remainder share. */
function stratifiedSample(
  groups: readonly number[][],
  size: number,
  n: number,
  stream: RandomStream,
): number[] {
  const quotas = classQuotas(
    groups.map((group) => group.length),
    size,
    n,
  );
  return groups.flatMap((group, classIndex) =>
    sampleWithoutReplacement(group, quotas[classIndex] ?? 0, stream),
  );
}

function randomValidationSet(options: SplitOptions, task: number, groups: readonly number[][]): number[] {
  const size = randomValidationSize(options.n, options.validationFraction);
  return stratifiedSample(groups, size, options.n, createStream(options.seed, 'split', task));
}

/** Folds by dealing a shuffled order round-robin; per class when stratified, so each fold gets its share of every class. */
function kfoldValidationSets(options: SplitOptions, groups: readonly number[][]): number[][] {
  const stream = createStream(options.seed, 'kfold');
  const dealingOrder = groups.flatMap((group) => stream.shuffle(group.slice()));
  const folds: number[][] = Array.from({ length: options.tasks }, () => []);
  dealingOrder.forEach((index, position) => folds[position % options.tasks]?.push(index));
  return folds;
}

/** Draws one (train, validation) split per task; deterministic for a given seed. Throws on options that would give an empty set. */
export function drawSplits(options: SplitOptions): TaskSplit[] {
  checkOptions(options);
  const everyIndex = Array.from({ length: options.n }, (_, index) => index);
  const groups =
    options.stratified && options.labels !== undefined ? indicesByClass(options.labels) : [everyIndex];
  const validationSets =
    options.mode === 'kfold'
      ? kfoldValidationSets(options, groups)
      : Array.from({ length: options.tasks }, (_, task) => randomValidationSet(options, task, groups));
  return validationSets.map((validation) => splitFromValidation(options.n, validation));
}

export interface HoldoutOptions {
  /** Class label per sample; the hold-out keeps every class's proportion. */
  labels: ArrayLike<number>;
  /** Share of the samples held out: round(n · fraction) of them. */
  fraction: number;
  seed: number;
  /** Names the random stream, so a hold-out never draws the same numbers as a task's split. */
  purpose: string;
}

/**
 * A stratified hold-out (e.g. a test set cut from a labelled folder): the same per-class quotas and
 * uniform sampling as a `random` stratified split, from the stream (seed, purpose).
 */
export function drawHoldout(options: HoldoutOptions): { kept: number[]; heldOut: number[] } {
  const labels = Array.from(options.labels);
  const n = labels.length;
  const validationFraction = options.fraction;
  checkOptions({
    n,
    labels,
    tasks: 1,
    mode: 'random',
    validationFraction,
    stratified: true,
    seed: options.seed,
  });
  const size = randomValidationSize(n, validationFraction);
  const heldOut = stratifiedSample(
    indicesByClass(labels),
    size,
    n,
    createStream(options.seed, options.purpose),
  );
  const { train, validation } = splitFromValidation(n, heldOut);
  return { kept: train, heldOut: validation };
}
