/**
 * The activity boundary on its own: the timer heartbeat (an activity that never heartbeats stays alive;
 * the beats repeat the latest resume point), the error table applied to what an activity throws, and
 * the retry notes the workflow's progress query and AmtoRetrying are built from. The real path
 * (worker, server, workflow, `amto status`) is the fault suite's: test/fault/.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import type { Info } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityExecuteInput } from '@temporalio/worker';
import { StoreAccessError, StoreUnavailableError } from '../../../storage/errors';
import { ActivityBoundary } from '../../../workers/activity-boundary';
import type { ActivityAttemptNote } from '../../../workflows/messages';
import { activityContext } from '../../helpers/activity-context';

/** An activity context recording heartbeats, and a client recording the notes signalled to the workflow. */
function contextFor(info: Partial<Info>) {
  const notes: ActivityAttemptNote[] = [];
  const client = {
    workflow: {
      getHandle: () => ({
        signal: (_signal: unknown, note: ActivityAttemptNote) => {
          notes.push(note);
          return Promise.resolve();
        },
      }),
    },
  } as unknown as Client;
  const { context, beats } = activityContext(
    {
      activityId: '7',
      heartbeatTimeoutMs: 800,
      workflowExecution: { workflowId: 'amto-x', runId: 'r' },
      ...info,
    },
    client,
  );
  return { boundary: new ActivityBoundary(context), beats, notes };
}

const input = { args: [], headers: {} } as unknown as ActivityExecuteInput;

describe('the activity boundary', () => {
  test('an activity that never heartbeats is kept alive by the timer, several beats per timeout', async () => {
    const { boundary, beats } = contextFor({ heartbeatTimeoutMs: 800 });
    // 200 ms beats (timeout / 4): an activity of 1.1 s gets about five.
    assert.equal(await boundary.execute(input, () => sleep(1100).then(() => 'done')), 'done');
    assert.ok(beats.length >= 3, `${beats.length} beats`);
    const count = beats.length;
    await sleep(500);
    assert.equal(beats.length, count, 'the timer stops with the activity');
  });

  test("a retry's timer repeats the previous attempt's resume point, not an empty heartbeat", async () => {
    const point = { checkpoint: 'runs/x/r1/t0/partial/master/s50', step: 50, lossSum: 12.5 };
    const { boundary, beats } = contextFor({ attempt: 2, heartbeatDetails: point });
    await boundary.execute(input, () => sleep(500));
    assert.ok(beats.length >= 1);
    assert.ok(
      beats.every((details) => details === point),
      JSON.stringify(beats),
    );
  });

  test('errors leave typed by the table: a refusal is not retried and no retry is announced', async () => {
    const { boundary, notes } = contextFor({});
    const failure = await boundary
      .execute(input, () => Promise.reject(new StoreAccessError('access denied to bucket amto')))
      .catch((error: unknown) => error);
    assert.ok(failure instanceof ApplicationFailure);
    assert.deepEqual([failure.type, failure.nonRetryable], ['StoreAccessDenied', true]);
    assert.deepEqual(notes, []);
  });

  test('a retryable failure announces the next attempt with its error; a retry that succeeds, its recovery', async () => {
    const first = contextFor({ attempt: 3 });
    const failure = await first.boundary
      .execute(input, () => Promise.reject(new StoreUnavailableError('MinIO unreachable at 127.0.0.1:1')))
      .catch((error: unknown) => error);
    assert.ok(failure instanceof ApplicationFailure);
    assert.deepEqual([failure.type, failure.nonRetryable], ['StoreUnavailable', false]);
    await sleep(0);
    // Attempt 3 starting is a retry (attempt null error), its failure announces attempt 4 with the error.
    assert.deepEqual(
      first.notes.map((note) =>
        note.kind === 'retrying' ? [note.activity.attempt, note.activity.lastError] : note.kind,
      ),
      [
        [3, null],
        [4, 'StoreUnavailable: MinIO unreachable at 127.0.0.1:1'],
      ],
    );
    const second = contextFor({ attempt: 4 });
    await second.boundary.execute(input, () => Promise.resolve('ok'));
    await sleep(0);
    assert.deepEqual(second.notes.at(-1), { kind: 'recovered', activityId: '7' });
  });
});
