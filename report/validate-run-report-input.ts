/**
 * Checks a run report input before anything is drawn. The input comes from stored JSON, so the types
 * alone prove nothing; every problem is collected and reported at once, each naming its field, e.g.
 * `rounds[2].tasks[1].relationship: must have 3 entries, one per task (got 2)`.
 */
import type { RunReportFinal, RunReportInput, RunReportTaskRound } from './run-report-input';

export class RunReportInputError extends Error {
  constructor(readonly problems: string[]) {
    super(`run report input is invalid:\n${problems.map((problem) => `- ${problem}`).join('\n')}`);
    this.name = 'RunReportInputError';
  }
}

type Problems = string[];

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return String(value);
}

function isInteger(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min;
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isAccuracy(value: unknown): value is number {
  return isFiniteNumber(value) && value >= 0 && value <= 1;
}

function isTaskIndex(value: unknown, tasks: number): value is number {
  return isInteger(value, 0) && value < tasks;
}

function requireText(problems: Problems, field: string, value: unknown): void {
  if (typeof value !== 'string' || value.length === 0) {
    problems.push(`${field}: must be a non-empty string (got ${show(value)})`);
  }
}

function requireAccuracy(problems: Problems, field: string, value: unknown): void {
  if (!isAccuracy(value)) problems.push(`${field}: must be an accuracy between 0 and 1 (got ${show(value)})`);
}

function checkTaskRound(
  problems: Problems,
  field: string,
  entry: RunReportTaskRound,
  index: number,
  tasks: number,
): void {
  if (entry.task !== index) {
    problems.push(
      `${field}.task: must be ${index}; list the tasks in order 0..${tasks - 1} (got ${show(entry.task)})`,
    );
  }
  if (entry.donor !== null && (!isTaskIndex(entry.donor, tasks) || entry.donor === entry.task)) {
    problems.push(
      `${field}.donor: must be null or another task's index 0..${tasks - 1} (got ${show(entry.donor)})`,
    );
  }
  if (typeof entry.accepted !== 'boolean') {
    problems.push(`${field}.accepted: must be true or false (got ${show(entry.accepted)})`);
  } else if (entry.accepted && (entry.donor === null || entry.slaveValLoss === null)) {
    problems.push(`${field}.accepted: is true, so donor and slaveValLoss must not be null`);
  }
  if (!isFiniteNumber(entry.masterValLoss)) {
    problems.push(`${field}.masterValLoss: must be a finite number (got ${show(entry.masterValLoss)})`);
  }
  if (entry.slaveValLoss !== null && !isFiniteNumber(entry.slaveValLoss)) {
    problems.push(`${field}.slaveValLoss: must be null or a finite number (got ${show(entry.slaveValLoss)})`);
  }
  if (entry.masterValAccuracy !== null)
    requireAccuracy(problems, `${field}.masterValAccuracy`, entry.masterValAccuracy);
  if (entry.slaveValAccuracy !== null)
    requireAccuracy(problems, `${field}.slaveValAccuracy`, entry.slaveValAccuracy);
  if (!Array.isArray(entry.relationship) || entry.relationship.length !== tasks) {
    problems.push(
      `${field}.relationship: must have ${tasks} entries, one per task (got ${show(entry.relationship)})`,
    );
  } else if (!entry.relationship.every(isFiniteNumber)) {
    problems.push(`${field}.relationship: every entry must be a finite number`);
  }
}

function checkRounds(problems: Problems, input: RunReportInput): void {
  if (!Array.isArray(input.rounds) || input.rounds.length === 0) {
    problems.push(
      `rounds: must list at least one finished round (got ${show(input.rounds)}); a run has nothing to report before its first round ends`,
    );
    return;
  }
  input.rounds.forEach((round, index) => {
    const field = `rounds[${index}]`;
    const previous = input.rounds[index - 1];
    if (!isInteger(round.round, 1) || (previous !== undefined && round.round <= previous.round)) {
      problems.push(
        `${field}.round: must be an integer ≥ 1, above the previous round's (got ${show(round.round)})`,
      );
    }
    if (!isInteger(round.iteration, 1) || (previous !== undefined && round.iteration <= previous.iteration)) {
      problems.push(
        `${field}.iteration: must be an integer ≥ 1, above the previous round's (got ${show(round.iteration)})`,
      );
    }
    if (!Array.isArray(round.tasks) || round.tasks.length !== input.tasks) {
      problems.push(
        `${field}.tasks: must have ${input.tasks} entries, one per task (got ${show(round.tasks)})`,
      );
      return;
    }
    round.tasks.forEach((entry, task) =>
      checkTaskRound(problems, `${field}.tasks[${task}]`, entry, task, input.tasks),
    );
  });
}

function checkFinal(problems: Problems, final: RunReportFinal, tasks: number): void {
  if (!isTaskIndex(final.chosenTask, tasks)) {
    problems.push(`final.chosenTask: must be a task index 0..${tasks - 1} (got ${show(final.chosenTask)})`);
  }
  requireAccuracy(problems, 'final.harmonicAccuracy', final.harmonicAccuracy);
  if (!Array.isArray(final.validationAccuracies) || final.validationAccuracies.length !== tasks) {
    problems.push(
      `final.validationAccuracies: must have ${tasks} entries, one per split (got ${show(final.validationAccuracies)})`,
    );
  } else {
    final.validationAccuracies.forEach((accuracy, split) =>
      requireAccuracy(problems, `final.validationAccuracies[${split}]`, accuracy),
    );
  }
  if (final.testAccuracy !== null) requireAccuracy(problems, 'final.testAccuracy', final.testAccuracy);
  requireText(problems, 'final.stopReason', final.stopReason);
}

/** Throws a `RunReportInputError` listing every problem when the input cannot be drawn. */
export function validateRunReportInput(input: RunReportInput): void {
  const problems: Problems = [];
  requireText(problems, 'runId', input.runId);
  requireText(problems, 'arch', input.arch);
  requireText(problems, 'dataset', input.dataset);
  if (!isInteger(input.interval, 1)) {
    problems.push(`interval: must be an integer ≥ 1 (got ${show(input.interval)})`);
  }
  if (!isInteger(input.tasks, 1)) {
    // Every per-task check depends on the task count, so stop here.
    problems.push(`tasks: must be an integer ≥ 1 (got ${show(input.tasks)})`);
    throw new RunReportInputError(problems);
  }
  checkRounds(problems, input);
  if (input.final) checkFinal(problems, input.final, input.tasks);
  if (problems.length > 0) throw new RunReportInputError(problems);
}
