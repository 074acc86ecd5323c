import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { collectPhases, timePhase, type PhaseTimes } from '../../../activities/interval-phases';

describe('interval phase timing', () => {
  test('outside collectPhases a phase just runs its work', async () => {
    assert.equal(await timePhase('train', async (x: number) => x * 2, 21), 42);
  });

  test('sums recurring phases, keeps concurrent collections apart, reports the total', async () => {
    const reports: { times: PhaseTimes; totalMs: number }[] = [];
    const report = (times: PhaseTimes, totalMs: number): void => void reports.push({ times, totalMs });
    await Promise.all([
      collectPhases(async () => {
        await timePhase('save', sleep, 30);
        await timePhase('save', sleep, 30);
        await timePhase('train', sleep, 20);
      }, report),
      collectPhases(() => timePhase('validate', sleep, 40), report),
    ]);
    const [second, first] = reports;
    assert.ok(first && second);
    assert.ok(first.times.save >= 55, `two saves summed (${first.times.save} ms)`);
    assert.ok(first.times.train >= 15 && first.times.validate === 0);
    assert.ok(second.times.validate >= 35 && second.times.save === 0 && second.times.train === 0);
    assert.ok(first.totalMs >= first.times.save + first.times.train);
  });

  test('a failing activity still reports what it spent', async () => {
    let reported: PhaseTimes | null = null;
    await assert.rejects(
      collectPhases(
        () =>
          timePhase('loadCheckpoint', async () => {
            await sleep(10);
            throw new Error('missing');
          }),
        (times) => {
          reported = times;
        },
      ),
      /missing/,
    );
    assert.ok(reported !== null && (reported as PhaseTimes).loadCheckpoint >= 5);
  });
});
