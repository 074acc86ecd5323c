import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { RunReportInputError, validateRunReportInput, type RunReportInput } from '../../../report';
import { syntheticRun } from './synthetic-run';

function problemsOf(input: RunReportInput): string[] {
  try {
    validateRunReportInput(input);
  } catch (error) {
    assert.ok(error instanceof RunReportInputError, String(error));
    assert.equal(error.message.split('\n').length, error.problems.length + 1);
    return error.problems;
  }
  return [];
}

describe('validateRunReportInput', () => {
  test('accepts well-formed runs, with and without a final result, of one or more tasks', () => {
    for (const input of [syntheticRun(), syntheticRun({ withFinal: false }), syntheticRun({ tasks: 1 })]) {
      assert.deepEqual(problemsOf(input), []);
    }
  });

  test('a run without rounds is refused with a message saying what is missing', () => {
    const problems = problemsOf({ ...syntheticRun(), rounds: [] });
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', /^rounds: must list at least one finished round \(got an array of 0\)/);
  });

  test('reports every problem at once, each naming its field', () => {
    const input = syntheticRun({ tasks: 3, rounds: 3 });
    const round = input.rounds[1];
    const entry = round?.tasks[2];
    assert.ok(round && entry && input.final);
    round.iteration = 0;
    entry.relationship = [0, 0];
    entry.donor = 2;
    entry.accepted = true;
    entry.slaveValLoss = null;
    entry.masterValAccuracy = 1.5;
    input.final.validationAccuracies = [0.9];
    input.final.stopReason = '';
    input.runId = '';
    const problems = problemsOf(input);
    const fields = problems.map((problem) => problem.slice(0, problem.indexOf(':')));
    assert.deepEqual(fields.sort(), [
      'final.stopReason',
      'final.validationAccuracies',
      'rounds[1].iteration',
      'rounds[1].tasks[2].accepted',
      'rounds[1].tasks[2].donor',
      'rounds[1].tasks[2].masterValAccuracy',
      'rounds[1].tasks[2].relationship',
      'runId',
    ]);
    assert.ok(
      problems.includes(
        'rounds[1].tasks[2].relationship: must have 3 entries, one per task (got an array of 2)',
      ),
    );
  });

  test('rounds out of order and tasks listed out of order are named', () => {
    const input = syntheticRun({ tasks: 2, rounds: 2 });
    const [first, second] = input.rounds;
    assert.ok(first && second);
    second.round = first.round;
    second.tasks.reverse();
    const fields = problemsOf(input).map((problem) => problem.slice(0, problem.indexOf(':')));
    assert.deepEqual(fields, ['rounds[1].round', 'rounds[1].tasks[0].task', 'rounds[1].tasks[1].task']);
  });

  test('a task count below one stops the check at once', () => {
    assert.deepEqual(problemsOf({ ...syntheticRun(), tasks: 0 }), ['tasks: must be an integer ≥ 1 (got 0)']);
  });
});
