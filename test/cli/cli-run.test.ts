import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { registerFileRouter } from '../../ml/models';
import type { WorkerProcess } from '../../cli/worker-processes';
import { runCli, startWorker } from './cli-process';

/**
 * run → status → report → export of one tiny run, through the built CLI, on queues of its own. Its
 * workers train on the WASM fallback (every other run uses the default, native TensorFlow), so the
 * fallback a user without native TensorFlow gets keeps working end to end.
 */
describe('amto run, status, report, export on a tiny config, trained on the WASM fallback', () => {
  const dir = mkdtempSync(join(tmpdir(), 'amto-cli-run-'));
  const queue = `cli-test-${randomUUID()}`;
  const runId = `cli-test-${randomUUID().slice(0, 8)}`;
  const configPath = join(dir, 'tiny.json');
  const workers: WorkerProcess[] = [];

  before(() => {
    writeFileSync(
      configPath,
      JSON.stringify({
        dataset: { kind: 'fashion-mnist', subset: 600, testSubset: 200 },
        model: { arch: 'small-cnn' },
        tasks: 2,
        interval: 5,
        maxIterations: 10,
        batchSize: 16,
        optimizer: { learningRate: 0.05 },
        checkpoint: { everySteps: 5 },
        queues: { master: `${queue}-master`, slave: `${queue}-slave` },
      }),
    );
    workers.push(
      startWorker('control', queue, join(dir, 'control.log')),
      startWorker('master', `${queue}-master`, join(dir, 'master.log'), [
        '--backend',
        'wasm',
        '--engine',
        'tfjs',
      ]),
      startWorker('slave', `${queue}-slave`, join(dir, 'slave.log'), [
        '--backend',
        'wasm',
        '--engine',
        'tfjs',
      ]),
    );
  });

  after(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
  });

  test('run follows the run to its result', async () => {
    const { code, stdout, stderr } = await runCli(
      ['run', configPath, '--run-id', runId, '--task-queue', queue],
      600_000,
    );
    assert.equal(code, 0, `${stderr}\nworker logs: ${dir}`);
    assert.match(stdout, new RegExp(`Started run ${runId} \\(workflow amto-${runId}\\)`));
    // A fast run (the graph engine) can finish round 1 between two progress polls: any round line will do.
    assert.match(stdout, /^round [12]\/2 .*val loss \[/m);
    assert.match(stdout, new RegExp(`Run ${runId} finished \\(budget\\): task [01] chosen`));
    assert.match(stdout, /harmonic accuracy +0\.\d{4}/);
    assert.match(stdout, new RegExp(`web UI +http://.+/namespaces/default/workflows/amto-${runId}`));
    for (const role of ['master', 'slave']) {
      assert.match(
        readFileSync(join(dir, `${role}.log`), 'utf8'),
        /^compute backend: wasm — /m,
        `${role} worker`,
      );
    }
  });

  test('status shows the run finished', async () => {
    const { code, stdout } = await runCli(['status', runId, '--json']);
    assert.equal(code, 0);
    const status = JSON.parse(stdout) as {
      status: string;
      result: { runId: string; rounds: number; iterations: number; testAccuracy: number };
    };
    assert.equal(status.status, 'COMPLETED');
    assert.equal(status.result.runId, runId);
    assert.equal(status.result.rounds, 2);
    assert.equal(status.result.iterations, 10);
    assert.ok(status.result.testAccuracy > 0 && status.result.testAccuracy <= 1);
  });

  test('list shows the run with its search attributes', async () => {
    const { code, stdout } = await runCli(['list', '--json', '--limit', '50']);
    assert.equal(code, 0);
    const runs = JSON.parse(stdout) as { runId: string; status: string; round: number; arch: string }[];
    const run = runs.find((candidate) => candidate.runId === runId);
    assert.ok(run, `run ${runId} missing from amto list`);
    assert.equal(run.status, 'COMPLETED');
    assert.equal(run.round, 2);
    assert.equal(run.arch, 'small-cnn');
  });

  test('resume refuses a finished run', async () => {
    const { code, stderr } = await runCli(['resume', runId]);
    assert.equal(code, 2);
    assert.match(stderr, new RegExp(`run ${runId} already finished`));
  });

  test('report writes the HTML page and its chart PNGs', async () => {
    const out = join(dir, 'report');
    const { code, stdout, stderr } = await runCli(['report', runId, '--out', out, '--json']);
    assert.equal(code, 0, stderr);
    const files = JSON.parse(stdout) as { html: string; pngs: string[] };
    assert.equal(files.html, join(out, 'report.html'));
    assert.match(readFileSync(files.html, 'utf8'), new RegExp(runId));
    assert.ok(files.pngs.length >= 2);
    for (const png of files.pngs) {
      assert.ok(existsSync(png), png);
      assert.deepEqual([...readFileSync(png).subarray(1, 4)], [...Buffer.from('PNG')]);
    }
  });

  test('export writes a tfjs model that loads and predicts 10 classes', async () => {
    const out = join(dir, 'model');
    const { code, stderr } = await runCli(['export', runId, out]);
    assert.equal(code, 0, stderr);
    const info = JSON.parse(readFileSync(join(out, 'amto-model.json'), 'utf8')) as {
      runId: string;
      inputShape: number[];
      classes: number;
      task: number;
    };
    assert.equal(info.runId, runId);
    assert.equal(info.classes, 10);
    registerFileRouter();
    const model = await tf.loadLayersModel(`file://${join(out, 'model.json')}`);
    try {
      assert.deepEqual(model.inputs[0]?.shape.slice(1), info.inputShape);
      const batch = tf.zeros([3, ...info.inputShape]);
      const prediction = model.predict(batch) as tf.Tensor;
      assert.deepEqual(prediction.shape, [3, 10]);
      tf.dispose([batch, prediction]);
    } finally {
      model.dispose();
    }
  });

  test('export of an unknown run says which runs exist', async () => {
    const { code, stderr } = await runCli(['export', `${runId}-nope`, join(dir, 'none')]);
    assert.equal(code, 1);
    assert.match(stderr, new RegExp(`run "${runId}-nope" has no saved state`));
  });
});
