/**
 * The output of the run (Algorithm 1, line 21): among the candidate models, the one with the highest
 * harmonic accuracy across all M validation sets. Each task's candidate is its best checkpoint by its
 * own validation loss (see `candidateCheckpoints` in amto-state.ts).
 */
import { harmonicAccuracy } from './harmonic-accuracy';

export interface FinalSelection {
  /** Index of the chosen candidate (= its task); ties go to the lowest index. */
  chosenTask: number;
  /** A_har of the chosen candidate. */
  harmonicAccuracy: number;
  /** A_har of every candidate, by candidate index. */
  perCandidate: number[];
}

/** Picks the final model from `accuracies[candidateTask][split]` (each in [0, 1]). */
export function chooseFinalModel(accuracies: readonly (readonly number[])[]): FinalSelection {
  const first = accuracies[0];
  if (first === undefined) throw new RangeError('chooseFinalModel needs at least one candidate');
  accuracies.forEach((row, candidate) => {
    if (row.length !== first.length) {
      throw new RangeError(
        `accuracies[${candidate}] has ${row.length} entries but accuracies[0] has ${first.length}: ` +
          'every candidate must be evaluated on the same validation sets',
      );
    }
  });
  const perCandidate = accuracies.map((row) => harmonicAccuracy(row));
  let chosenTask = 0;
  perCandidate.forEach((value, candidate) => {
    if (value > (perCandidate[chosenTask] as number)) chosenTask = candidate;
  });
  return { chosenTask, harmonicAccuracy: perCandidate[chosenTask] as number, perCandidate };
}
