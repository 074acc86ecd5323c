/**
 * The study's cells: STO (M = 1) against AMTO at M ∈ {2, 4, 6}, the donor-choice ablations at M = 4,
 * STO given AMTO-4's training steps, and AMTO-4 on disjoint k-fold splits. Every cell of a seed shares the seed, so its runs start from
 * the same initial weights (sameInit) and are scored on the same test subset: the cells are paired.
 */
import type { RunConfigInput } from '../../amto';

export interface StudyBudget {
  /** Training iterations of every task (T). */
  iterations: number;
  /** c, iterations per round. */
  interval: number;
  /** Fashion-MNIST training images drawn (the gross training set every task splits). */
  subset: number;
  testSubset: number;
  batchSize: number;
  learningRate: number;
}

export interface StudyCell {
  name: string;
  label: string;
  tasks: number;
  transfer: 'adaptive' | 'uniform' | 'none';
  /** How the tasks' (train, validation) splits are drawn (amto/splits.ts). */
  split: 'random' | 'kfold';
  /** Iteration budget over the study's T (the budget-matched STO cell trains longer). */
  budgetFactor: number;
}

export const studyCells: readonly StudyCell[] = [
  { name: 'sto', label: 'STO (M = 1)', tasks: 1, transfer: 'adaptive', split: 'random', budgetFactor: 1 },
  { name: 'amto-2', label: 'AMTO M = 2', tasks: 2, transfer: 'adaptive', split: 'random', budgetFactor: 1 },
  { name: 'amto-4', label: 'AMTO M = 4', tasks: 4, transfer: 'adaptive', split: 'random', budgetFactor: 1 },
  { name: 'amto-6', label: 'AMTO M = 6', tasks: 6, transfer: 'adaptive', split: 'random', budgetFactor: 1 },
  {
    name: 'uniform-4',
    label: 'M = 4, uniform donors',
    tasks: 4,
    transfer: 'uniform',
    split: 'random',
    budgetFactor: 1,
  },
  {
    name: 'none-4',
    label: 'M = 4, no transfer',
    tasks: 4,
    transfer: 'none',
    split: 'random',
    budgetFactor: 1,
  },
  // AMTO at M = 4 trains 2M = 8 models per round: STO with 8T steps spends the same training compute.
  {
    name: 'sto-8x',
    label: 'STO, 8 × T steps',
    tasks: 1,
    transfer: 'adaptive',
    split: 'random',
    budgetFactor: 8,
  },
  // Disjoint validation folds: no task validates on data it trains on (docs/study.md, harmonic vs test).
  {
    name: 'kfold-4',
    label: 'AMTO M = 4, kfold split',
    tasks: 4,
    transfer: 'adaptive',
    split: 'kfold',
    budgetFactor: 1,
  },
];

/** The paper's schedule (lr × 0.1 at 20 % and 70 % of the 10 000 iterations), scaled to the budget. */
function milestones(iterations: number): number[] {
  return [Math.round(iterations * 0.2), Math.round(iterations * 0.7)];
}

export function studyRunId(cell: StudyCell, seed: number, tag: string): string {
  return `study-${tag}-${cell.name}-s${seed}`;
}

export function cellConfig(
  cell: StudyCell,
  seed: number,
  budget: StudyBudget,
  queues: { master: string; slave: string },
  runId: string,
): RunConfigInput {
  const iterations = budget.iterations * cell.budgetFactor;
  return {
    runId,
    seed,
    dataset: { kind: 'fashion-mnist', subset: budget.subset, testSubset: budget.testSubset },
    model: { arch: 'small-cnn' },
    tasks: cell.tasks,
    interval: budget.interval,
    maxIterations: iterations,
    batchSize: budget.batchSize,
    optimizer: { learningRate: budget.learningRate, milestones: milestones(iterations) },
    transfer: { mode: cell.transfer },
    split: { mode: cell.split },
    checkpoint: { everySteps: budget.interval, keepRounds: 1 },
    queues: { master: queues.master, slave: queues.slave },
  };
}
