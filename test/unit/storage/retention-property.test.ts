import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import fc from 'fast-check';

import { checkpointKey } from '../../../storage/keys';
import { LocalObjectStore } from '../../../storage/local-object-store';
import { applyRetention } from '../../../storage/retention';

const runId = 'prop';
const roles = ['master', 'slave'] as const;

describe('retention never deletes a referenced checkpoint (property, real local store)', () => {
  test('for any rounds, K and referenced set: referenced and recent checkpoints survive whole, the rest go', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 2 }),
        fc.array(fc.tuple(fc.nat(), fc.nat(), fc.constantFrom(...roles)), { maxLength: 6 }),
        async (currentRound, keepRounds, taskCount, picks) => {
          const dir = await mkdtemp(join(tmpdir(), 'amto-retention-'));
          try {
            const store = new LocalObjectStore(dir);
            const all: string[] = [];
            for (let round = 1; round <= currentRound; round++) {
              for (let task = 0; task < taskCount; task++) {
                for (const role of roles) all.push(checkpointKey(runId, round, task, role));
              }
            }
            for (const key of all) {
              await store.putObject(`${key}/weights.bin`, Buffer.from(key));
              await store.putObject(`${key}/manifest.json`, Buffer.from('{}'));
            }
            const referenced = picks.map(([round, task, role]) =>
              checkpointKey(runId, 1 + (round % currentRound), task % taskCount, role),
            );
            await applyRetention(store, { runId, currentRound, keepRounds, referenced });
            for (const key of all) {
              const round = Number(/\/r(\d+)\//.exec(key)?.[1]);
              const mustStay = referenced.includes(key) || round > currentRound - keepRounds;
              const files = (await store.list(`${key}/`)).length;
              assert.equal(files, mustStay ? 2 : 0, `${key} (current ${currentRound}, keep ${keepRounds})`);
            }
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});
