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
