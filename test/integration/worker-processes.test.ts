/**
 * The one worker-process helper (CLI demo and tests) against a real worker polling the real Temporal
 * server: a worker that does not shut down on SIGTERM is SIGKILLed once the grace time is up. The
 * copy test/cli used to have only sent SIGTERM and waited, so a hung worker hung the test run.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { test } from 'node:test';
import { spawnWorkerProcess, waitUntilPolling, type WorkerProcess } from '../../cli/worker-processes';

const repoRoot = join(__dirname, '..', '..');

function pollingWorker(): WorkerProcess {
  return spawnWorkerProcess('master', `amto-wp-${randomUUID().slice(0, 8)}`, {
    entry: 'cli/main.ts',
    execArgv: ['--import', 'tsx'],
    cwd: repoRoot,
  });
}

test(
  'stop() SIGKILLs a polling worker frozen by SIGSTOP (SIGTERM stays pending) after the grace time',
  { timeout: 180_000 },
  async () => {
    const worker = pollingWorker();
    try {
      await waitUntilPolling(worker, Date.now() + 120_000);
      // The worker handles SIGTERM by now; while it is stopped the signal stays pending, only SIGKILL ends it.
      worker.child.kill('SIGSTOP');
      await worker.stop(1_000);
      assert.equal(worker.child.signalCode, 'SIGKILL', worker.output());
    } finally {
      await worker.kill();
    }
  },
);

test('stop() lets a healthy worker shut down gracefully on SIGTERM', { timeout: 180_000 }, async () => {
  const worker = pollingWorker();
  try {
    await waitUntilPolling(worker, Date.now() + 120_000);
    // Its first line names the engine: by default every zoo model trains on the graph engine (setup builds it).
    assert.match(
      worker.output(),
      /polling task queue "[^"]+" on \S+, engine graph \(TensorFlow [\d.]+ C library, \d+ intra-op threads?\)/,
    );
    await worker.stop();
    assert.equal(worker.child.signalCode, null, worker.output());
    assert.equal(worker.child.exitCode, 0, worker.output());
    assert.match(worker.output(), /master worker stopped/);
  } finally {
    await worker.kill();
  }
});
