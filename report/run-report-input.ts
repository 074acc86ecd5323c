/**
 * Everything the run report shows about one AMTO training run, as one zod schema: the types below are
 * its output. The CLI builds the input from the run-state documents; `renderRunReport` parses it with
 * `validateRunReportInput` before drawing anything, so every problem is reported at once, each naming
 * its field, e.g. `rounds[2].tasks[1].relationship: must have 3 entries, one per task (got an array of 2)`.
 * Tasks are numbered 0..tasks-1, rounds from 1.
 */
import { z } from 'zod';
import {
  accuracy as accuracyField,
  describeIssues,
  finiteNumber,
  flag,
  integer,
  nonEmptyText,
} from '../amto';

export class RunReportInputError extends Error {
  constructor(readonly problems: string[]) {
    super(`run report input is invalid:\n${problems.map((problem) => `- ${problem}`).join('\n')}`);
    this.name = 'RunReportInputError';
  }
}

const text = nonEmptyText();
const atLeastOne = integer(1);
const accuracy = accuracyField();
const ABOVE_PREVIOUS = "must be an integer ≥ 1, above the previous round's";

/** The fields every per-task rule depends on; checked first. */
const headerSchema = z.object({
  runId: text,
  arch: text,
  dataset: text,
  interval: atLeastOne,
  tasks: atLeastOne,
});

function taskIndex(tasks: number, rule: string) {
  return z
    .int(rule)
    .min(0, rule)
    .max(tasks - 1, rule);
}

const donorRule = (tasks: number): string => `must be null or another task's index 0..${tasks - 1}`;

function taskRoundSchema(tasks: number) {
  return z.object({
    task: z.int('must be a task index'),
    /** Whose weights the slave took; null when no transfer was tried. */
    donor: taskIndex(tasks, donorRule(tasks)).nullable(),
    /** Whether the slave was kept (it replaced the master). */
    accepted: flag(),
    masterValLoss: finiteNumber(),
    slaveValLoss: z.number('must be null or a finite number').nullable(),
    /** null when not recorded (the run state keeps only the kept model's accuracy). */
    masterValAccuracy: accuracy.nullable(),
    slaveValAccuracy: accuracy.nullable(),
    /** RL_m after this round's update, one entry per task. */
    relationship: z
      .array(finiteNumber(), `must have ${tasks} entries, one per task`)
      .length(tasks, `must have ${tasks} entries, one per task`),
  });
}

function roundSchema(tasks: number) {
  return z.object({
    /** 1-based. */
    round: z.int(ABOVE_PREVIOUS).min(1, ABOVE_PREVIOUS),
    /** Global iteration at the end of the round. */
    iteration: z.int(ABOVE_PREVIOUS).min(1, ABOVE_PREVIOUS),
    tasks: z
      .array(taskRoundSchema(tasks), `must have ${tasks} entries, one per task`)
      .length(tasks, `must have ${tasks} entries, one per task`),
  });
}

function finalSchema(tasks: number) {
  return z.object({
    chosenTask: taskIndex(tasks, `must be a task index 0..${tasks - 1}`),
    harmonicAccuracy: accuracy,
    /** Accuracy of the chosen model on each task's validation split, indexed by task. */
    validationAccuracies: z
      .array(accuracy, `must have ${tasks} entries, one per split`)
      .length(tasks, `must have ${tasks} entries, one per split`),
    testAccuracy: accuracy.nullable(),
    stopReason: text,
  });
}

const isWholeAtLeastOne = (value: unknown): value is number => Number.isInteger(value) && Number(value) >= 1;

/** The run report's input for a run of `tasks` tasks. */
function runReportInputSchema(tasks: number) {
  return headerSchema
    .extend({
      rounds: z
        .array(roundSchema(tasks), 'must list at least one finished round')
        .min(
          1,
          'must list at least one finished round {got}; a run has nothing to report before its first round ends',
        ),
      /** null while the run has not selected its final model. */
      final: finalSchema(tasks).nullable(),
    })
    .superRefine((input, context) => {
      // Rules across fields, in document order; a field that already broke its own rule is not judged again.
      input.rounds.forEach((round, index) => {
        const previous = input.rounds[index - 1];
        for (const field of ['round', 'iteration'] as const) {
          const value = round[field];
          const before = previous?.[field];
          if (isWholeAtLeastOne(value) && isWholeAtLeastOne(before) && value <= before) {
            context.addIssue({ code: 'custom', path: ['rounds', index, field], message: ABOVE_PREVIOUS });
          }
        }
        if (round.tasks.length !== tasks) return;
        round.tasks.forEach((entry, task) => {
          const path = ['rounds', index, 'tasks', task];
          if (entry.task !== task) {
            context.addIssue({
              code: 'custom',
              path: [...path, 'task'],
              message: `must be ${task}; list the tasks in order 0..${tasks - 1}`,
            });
          }
          if (entry.donor !== null && entry.donor === entry.task) {
            context.addIssue({ code: 'custom', path: [...path, 'donor'], message: donorRule(tasks) });
          }
          if (entry.accepted === true && (entry.donor === null || entry.slaveValLoss === null)) {
            context.addIssue({
              code: 'custom',
              path: [...path, 'accepted'],
              message: 'is true, so donor and slaveValLoss must not be null',
              params: { showValue: false },
            });
          }
        });
      });
    });
}

export type RunReportInput = z.output<ReturnType<typeof runReportInputSchema>>;
export type RunReportRound = RunReportInput['rounds'][number];
export type RunReportTaskRound = RunReportRound['tasks'][number];
export type RunReportFinal = NonNullable<RunReportInput['final']>;

/** The input, validated; throws a `RunReportInputError` listing every problem when it cannot be drawn. */
export function validateRunReportInput(input: unknown): RunReportInput {
  const header = headerSchema.safeParse(input);
  const tasks = (input as { tasks?: unknown } | null)?.tasks;
  if (!isWholeAtLeastOne(tasks)) {
    // Every per-task rule depends on the task count, so stop here.
    throw new RunReportInputError(describeIssues(header.error?.issues ?? [], input, { root: 'input' }));
  }
  const parsed = runReportInputSchema(tasks).safeParse(input);
  if (!parsed.success) {
    throw new RunReportInputError(describeIssues(parsed.error.issues, input, { root: 'input' }));
  }
  return parsed.data;
}
