import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { heatmapRounds } from '../../../report/charts/relationship-heatmap-chart';
import { validationLossChart } from '../../../report/charts/validation-loss-chart';
import { escapeHtml } from '../../../report/escape-html';
import { syntheticRun } from './synthetic-run';

describe('report charts', () => {
  test('the heatmap shows the first, middle and last round, each once', () => {
    const rounds = syntheticRun({ rounds: 7 }).rounds;
    assert.deepEqual(
      heatmapRounds(rounds).map((round) => round.round),
      [1, 4, 7],
    );
    assert.deepEqual(
      heatmapRounds(rounds.slice(0, 2)).map((round) => round.round),
      [1, 2],
    );
    assert.deepEqual(
      heatmapRounds(rounds.slice(0, 1)).map((round) => round.round),
      [1],
    );
  });

  test('the validation loss chart plots the loss of the model each task kept', () => {
    const input = syntheticRun({ tasks: 3, rounds: 4 });
    const spec = validationLossChart(input).spec as unknown as {
      data: { values: Array<{ iteration: number; task: number; loss: number }> };
    };
    const entries = input.rounds.flatMap((round) => round.tasks.map((entry) => ({ round, entry })));
    assert.ok(entries.some(({ entry }) => entry.accepted) && entries.some(({ entry }) => !entry.accepted));
    assert.deepEqual(
      spec.data.values.map(({ iteration, task, loss }) => ({ iteration, task, loss })),
      entries.map(({ round, entry }) => ({
        iteration: round.iteration,
        task: entry.task,
        loss: entry.accepted ? (entry.slaveValLoss ?? Number.NaN) : entry.masterValLoss,
      })),
    );
  });

  test('escapeHtml neutralises every character that could open markup or end an attribute', () => {
    assert.equal(
      escapeHtml(`<a href="x" title='y'>&amp;</a>`),
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;',
    );
    assert.equal(escapeHtml('plain text · θ'), 'plain text · θ');
  });
});
