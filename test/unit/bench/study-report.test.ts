import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRunConfig } from '../../../amto';
import { cellConfig, studyCells, type StudyBudget } from '../../../bench/study/cells';
import { studyTables, type StudyRecord } from '../../../bench/study/report';
import { pairedDifference } from '../../../bench/study/stats';

const budget: StudyBudget = {
  iterations: 150,
  interval: 50,
  subset: 3000,
  testSubset: 1000,
  batchSize: 32,
  learningRate: 0.05,
};

function record(cell: string, seed: number, test: number, extra: Partial<StudyRecord> = {}): StudyRecord {
  return {
    cell,
    seed,
    tasks: studyCells.find((c) => c.name === cell)?.tasks ?? 1,
    budget,
    maxIterations: 150,
    backend: 'tensorflow',
    engine: 'graph',
    testAccuracy: test,
    harmonicAccuracy: test + 0.01,
    finalValLoss: 0.5,
    rounds: 3,
    stopReason: 'budget',
    transfersTried: 0,
    transfersAccepted: 0,
    acceptedPerRound: [0, 0, 0],
    seconds: 60,
    finishedAt: '2026-12-02T00:00:00.000Z',
    ...extra,
  };
}

test("the paired 95 % interval is Student's t over the per-seed differences", () => {
  // Study v2's AMTO-4 − STO differences (points), as docs/study.md reports them.
  const difference = pairedDifference([1.7, 0.9, 4.5, 4.4, 5.6]);
  assert.ok(difference !== null);
  assert.equal(difference.n, 5);
  assert.equal(difference.mean.toFixed(2), '3.42');
  assert.equal(difference.low.toFixed(2), '0.92');
  assert.equal(difference.high.toFixed(2), '5.92');
  assert.equal(pairedDifference([2.5]), null);
});

test('every cell, kfold included, makes a run config the schema accepts', () => {
  for (const cell of studyCells) {
    const config = cellConfig(cell, 1, budget, { master: 'm', slave: 's' }, `study-t-${cell.name}-s1`);
    const parsed = parseRunConfig(config);
    assert.ok(parsed.ok, `${cell.name}: ${parsed.ok ? '' : parsed.problems.join('; ')}`);
    assert.equal(parsed.config.split.mode, cell.name === 'kfold-4' ? 'kfold' : 'random');
    assert.equal(parsed.config.tasks, cell.tasks);
  }
});

test('tables pair cells by seed and compare the chosen model on its own and the other validation sets', () => {
  const tables = studyTables([
    record('sto', 1, 0.7),
    record('sto', 2, 0.72),
    record('kfold-4', 1, 0.75, { chosenTask: 2, validationAccuracies: [0.7, 0.7, 0.8, 0.7] }),
    // seed 3 has no STO run: it is not a pair.
    record('kfold-4', 3, 0.8, { chosenTask: 0, validationAccuracies: [0.8, 0.8, 0.8, 0.8] }),
  ]);
  const row = (start: string): string => {
    const line = tables.split('\n').find((l) => l.startsWith(start));
    assert.ok(line !== undefined, `no row starting ${start}`);
    return line;
  };
  assert.match(tables, /^Trained on: tensorflow backend, graph engine \(4 runs\)\./);
  assert.equal(
    row('| AMTO M = 4, kfold split | 1 | 5.00 |'),
    '| AMTO M = 4, kfold split | 1 | 5.00 | – | s1: +5.00 |',
  );
  assert.equal(
    row('| AMTO M = 4, kfold split | 2 | 77.50 ±'),
    '| AMTO M = 4, kfold split | 2 | 77.50 ± 3.54 | 78.50 ± 3.54 | 0.500 | – | 3.0 | 1.0 |',
  );
  // Own − others: seed 1 +10 points, seed 3 0 points.
  assert.equal(
    row('| AMTO M = 4, kfold split | 2 | 80.00 |'),
    '| AMTO M = 4, kfold split | 2 | 80.00 | 75.00 | +5.00 | s1: +10.00, s3: +0.00 |',
  );
  assert.equal(row('| STO (M = 1) | 2 | +1.00 |'), '| STO (M = 1) | 2 | +1.00 | s1: +1.00, s2: +1.00 |');
});
