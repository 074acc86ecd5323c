/**
 * Replays histories recorded from real runs (test/replay/record-histories.ts) against today's workflow
 * code: a change that would break running workflows fails here, before it reaches a deployment.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';

import { persistBesideNextRoundPatch, reuseMasterForSameStartPatch } from '../../workflows/amto-training';

Runtime.install({ logger: new DefaultLogger('WARN') });

/** The parts of a recorded history's JSON this test reads. */
interface RecordedHistory {
  events: Array<Record<string, unknown>>;
}

const historiesDir = join(__dirname, 'histories');
const fixtures = readdirSync(historiesDir)
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => ({
    workflowId: file.replace(/\.json$/, ''),
    // The Temporal CLI's proto-JSON; the replay worker converts it itself.
    history: JSON.parse(readFileSync(join(historiesDir, file), 'utf8')) as RecordedHistory,
  }));

let bundle: WorkflowBundleWithSourceMap;

before(async () => {
  bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows') });
});

describe('workflow replay', () => {
  test('fixtures cover a short run and a run that continues as new', () => {
    const names = fixtures.map((fixture) => fixture.workflowId);
    assert.ok(names.includes('short-run'), names.join(', '));
    assert.ok(
      names.some((name) => name.startsWith('continue-as-new-run1')),
      names.join(', '),
    );
    const continued = fixtures.find((fixture) => fixture.workflowId === 'continue-as-new-run1');
    const lastEvent = continued?.history.events.at(-1);
    assert.ok(lastEvent?.workflowExecutionContinuedAsNewEventAttributes, 'run 1 ends in continue-as-new');
    // Histories from before and after the round-cost patches: both code paths of each patched() replay.
    const patchIds = (fixture: (typeof fixtures)[number]): string[] =>
      fixture.history.events.flatMap((event) => {
        const marker = event.markerRecordedEventAttributes as
          { details?: Record<string, { payloads?: Array<{ data?: string }> }> } | undefined;
        const data = marker?.details?.['patch-data']?.payloads?.[0]?.data;
        return data === undefined
          ? []
          : [(JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { id: string }).id];
      });
    const patchedOnes = fixtures.filter((fixture) =>
      [persistBesideNextRoundPatch, reuseMasterForSameStartPatch].every((id) =>
        patchIds(fixture).includes(id),
      ),
    );
    assert.ok(patchedOnes.length > 0, 'a fixture recorded with both patches');
    assert.ok(patchedOnes.length < fixtures.length, 'fixtures recorded before the patches');
  });

  test('every recorded history replays on the current workflow code', async () => {
    const results = Worker.runReplayHistories({ workflowBundle: bundle }, fixtures);
    let count = 0;
    for await (const result of results) {
      assert.equal(result.error, undefined, `${result.workflowId}: ${String(result.error)}`);
      count += 1;
    }
    assert.equal(count, fixtures.length);
  });

  test('a changed workflow is caught as nondeterministic', async () => {
    const changed = await bundleWorkflowCode({ workflowsPath: require.resolve('./changed-workflow') });
    const short = fixtures.find((fixture) => fixture.workflowId === 'short-run');
    assert.ok(short);
    await assert.rejects(
      Worker.runReplayHistory({ workflowBundle: changed }, short.history, short.workflowId),
      (error: Error) => error.name === 'DeterminismViolationError',
    );
  });
});
