/**
 * Malformed run configs through both doors a user has: `amto run <file>` and `temporal workflow start
 * --input-file <file>`. Each is rejected at once with a message naming the field or file, no training
 * activity is ever scheduled, and nothing is written under the run's prefix in the bucket.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { isRunId } from '../../amto';
import { loadEnvironment } from '../../infra/environment';
import { runPrefix } from '../../storage/keys';
import { createActivityDeps } from '../../workers/create-deps';
import { temporalCliJson } from '../e2e/run-temporal-cli';
import { startWorkerFleet, type WorkerFleet } from '../helpers/worker-processes';

const repoRoot = join(__dirname, '..', '..');
const environment = loadEnvironment();
const deps = createActivityDeps(environment);
let fleet: WorkerFleet;
let connection: Connection;
let client: Client;
let dir: string;

interface BadInput {
  name: string;
  /** The whole config as written (an object is merged over a valid base; a string is the file's text). */
  config: Record<string, unknown> | string;
  /** What the message must name (the field, file or key). */
  names: RegExp;
  /** What `temporal workflow start` says instead, when the server refuses before the workflow runs. */
  serverNames?: RegExp;
  /** Rejected by the workflow's activities (prepareRun), not by the config parser. */
  atPrepare?: boolean;
}

function valid(runId: string): Record<string, unknown> {
  return {
    runId,
    dataset: { kind: 'fashion-mnist', subset: 300 },
    model: { arch: 'small-cnn' },
    tasks: 2,
    interval: 5,
    maxIterations: 10,
    batchSize: 16,
  };
}

async function imageFolder(name: string, classes: Record<string, Array<Buffer>>): Promise<string> {
  const root = join(dir, name);
  for (const [label, images] of Object.entries(classes)) {
    mkdirSync(join(root, label), { recursive: true });
    images.forEach((bytes, i) => writeFileSync(join(root, label, `${i}.png`), bytes));
  }
  return root;
}

function png(side: number): Promise<Buffer> {
  return sharp({ create: { width: side, height: side, channels: 3, background: { r: 9, g: 99, b: 200 } } })
    .png()
    .toBuffer();
}

async function cases(): Promise<BadInput[]> {
  const good = await png(16);
  const emptyClass = await imageFolder('empty-class', { cats: [good, good, good, good], dogs: [] });
  const corrupt = await imageFolder('corrupt-png', {
    cats: [good, good, good, good],
    dogs: [good, good, good, Buffer.from('\x89PNG\r\n\x1a\nnot really a png')],
  });
  return [
    { name: 'tasks is a string', config: { tasks: 'two' }, names: /tasks/ },
    { name: 'tasks is 0', config: { tasks: 0 }, names: /tasks/ },
    { name: 'absurd M', config: { tasks: 100_000 }, names: /tasks/ },
    { name: 'negative interval', config: { interval: -5 }, names: /interval/ },
    { name: 'fractional maxIterations', config: { maxIterations: 1.5 }, names: /maxIterations/ },
    { name: 'absurd maxIterations', config: { maxIterations: 1e15 }, names: /maxIterations/ },
    { name: 'batchSize 0', config: { batchSize: 0 }, names: /batchSize/ },
    { name: 'batchSize above the split', config: { batchSize: 100_000 }, names: /batchSize/ },
    { name: 'unknown arch', config: { model: { arch: 'resnet-9000' } }, names: /model\.arch/ },
    {
      name: 'absurd input size',
      config: { model: { arch: 'small-cnn', inputSize: 100_000 } },
      names: /inputSize/,
    },
    { name: 'unknown dataset kind', config: { dataset: { kind: 'imagenet' } }, names: /dataset/ },
    { name: 'no dataset', config: { dataset: undefined }, names: /dataset/ },
    { name: 'runId traversal', config: { runId: '../other-run' }, names: /runId/ },
    { name: 'runId with a slash', config: { runId: 'a/b' }, names: /runId/ },
    {
      name: 's3 dataset key traversal',
      config: { dataset: { kind: 'image-folder', path: 's3://amto/datasets/../runs/x' } },
      names: /dataset\.path/,
    },
    { name: 'negative learning rate', config: { optimizer: { learningRate: -1 } }, names: /learningRate/ },
    {
      name: 'learning rate a string',
      config: { optimizer: { learningRate: 'fast' } },
      names: /learningRate/,
    },
    { name: 'momentum 2', config: { optimizer: { momentum: 2 } }, names: /momentum/ },
    {
      name: 'validation fraction 1.5',
      config: { split: { validationFraction: 1.5 } },
      names: /validationFraction/,
    },
    { name: 'checkpoint every 0 steps', config: { checkpoint: { everySteps: 0 } }, names: /everySteps/ },
    { name: 'seed a string', config: { seed: 'abc' }, names: /seed/ },
    { name: 'a typo', config: { taks: 2 }, names: /taks.*tasks/ },
    { name: 'evalBatchSize 0', config: { evalBatchSize: 0 }, names: /evalBatchSize/ },
    { name: 'flip not a boolean', config: { augment: { horizontalFlip: 'yes' } }, names: /horizontalFlip/ },
    {
      name: 'continue-as-new every 0 rounds',
      config: { continueAsNewEveryRounds: 0 },
      names: /continueAsNewEveryRounds/,
    },
    { name: 'not an object', config: '[1, 2, 3]', names: /object/ },
    {
      name: 'a 10 MB input',
      config: { padding: 'x'.repeat(10 * 1024 * 1024) },
      names: /padding: unknown field/,
      // The server refuses a request over its 4 MB gRPC limit before any workflow exists.
      serverNames: /larger than max/,
    },
    {
      name: 'an empty class folder',
      config: { dataset: { kind: 'image-folder', path: emptyClass } },
      names: /dogs.*no images/,
      atPrepare: true,
    },
    {
      name: 'a corrupt PNG',
      config: { dataset: { kind: 'image-folder', path: corrupt } },
      names: /dogs\/3\.png/,
      atPrepare: true,
    },
  ];
}

function configText(input: BadInput, runId: string): string {
  if (typeof input.config === 'string') return input.config;
  return JSON.stringify({ ...valid(runId), ...input.config, queues: fleet.queues });
}

function amtoRun(file: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'cli/main.ts', 'run', file, '--task-queue', fleet.control, '--json'],
      { cwd: repoRoot, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

async function nothingStored(runId: string): Promise<void> {
  if (!isRunId(runId)) return;
  assert.deepEqual(await deps.store.list(runPrefix(runId)), [], `nothing written under ${runPrefix(runId)}`);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'amto-bad-input-'));
  fleet = await startWorkerFleet(`amto-bad-${randomUUID().slice(0, 8)}`);
  connection = await Connection.connect({ address: environment.temporal.address });
  client = new Client({ connection, namespace: environment.temporal.namespace });
});

after(async () => {
  await fleet?.stop();
  await connection?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('malformed run configs', () => {
  test('at least 25 bad inputs, each refused by `amto run` and by `temporal workflow start`', async () => {
    const all = await cases();
    assert.ok(all.length >= 25, `${all.length} cases`);
    for (const [i, input] of all.entries()) {
      const runId = `bad-${i}-${randomUUID().slice(0, 6)}`;
      const file = join(dir, `case-${i}.json`);
      writeFileSync(file, configText(input, runId));

      // amto run: refused before any workflow starts (config errors), or by prepareRun (dataset errors).
      const started = Date.now();
      const cli = await amtoRun(file);
      assert.notEqual(cli.code, 0, `${input.name}: amto run should fail\n${cli.output}`);
      assert.match(cli.output, input.names, `${input.name}: amto run names it`);
      assert.ok(Date.now() - started < 60_000, `${input.name}: amto run took ${Date.now() - started} ms`);
      await nothingStored(runId);

      // temporal workflow start: the workflow fails at once, naming the field; no training is scheduled.
      const workflowId = `amto-bad-${i}-${randomUUID().slice(0, 6)}`;
      const start = await temporalCliJson<unknown>([
        'workflow',
        'start',
        '--type',
        'amtoTraining',
        '--task-queue',
        fleet.control,
        '--workflow-id',
        workflowId,
        '--input-file',
        file,
      ]).then(
        () => null,
        (error: Error) => error.message,
      );
      if (start !== null) {
        assert.ok(input.serverNames, `${input.name}: temporal workflow start failed: ${start}`);
        assert.match(start, input.serverNames, `${input.name}: temporal workflow start says why`);
        continue;
      }
      const failure = await client.workflow
        .getHandle(workflowId)
        .result()
        .then(
          () => assert.fail(`${input.name}: the workflow should fail`),
          (error: Error) => error,
        );
      assert.ok(failure instanceof WorkflowFailedError, `${input.name}: ${String(failure)}`);
      const messages: string[] = [];
      for (let cause: Error | undefined = failure; cause; cause = cause.cause as Error | undefined) {
        messages.push(cause.message);
      }
      assert.match(messages.join('\n'), input.names, `${input.name}: the failure names it`);
      const { events } = await client.workflow.getHandle(workflowId).fetchHistory();
      const scheduled = (events ?? []).flatMap((event) => {
        const name = event.activityTaskScheduledEventAttributes?.activityType?.name;
        return name ? [name] : [];
      });
      assert.deepEqual(
        scheduled,
        input.atPrepare ? ['prepareRun'] : [],
        `${input.name}: activities scheduled`,
      );
      await nothingStored(runId);
    }
  });

  test('an existing runId without resume is refused, and the run that owns it is untouched', async () => {
    const runId = `bad-taken-${randomUUID().slice(0, 6)}`;
    const first = await client.workflow.start('amtoTraining', {
      taskQueue: fleet.control,
      workflowId: `first-${runId}`,
      args: [{ ...valid(runId), queues: fleet.queues }],
    });
    await first.result();
    const before = (await deps.store.list(runPrefix(runId))).map((object) => [
      object.key,
      object.size,
      object.lastModified.getTime(),
    ]);
    const error = await client.workflow
      .execute('amtoTraining', {
        taskQueue: fleet.control,
        workflowId: `second-${runId}`,
        args: [{ ...valid(runId), seed: 2, queues: fleet.queues }],
      })
      .then(
        () => assert.fail('a second run with the same runId must be refused'),
        (failure: Error) => failure,
      );
    const message = `${(error.cause as Error | undefined)?.cause?.toString() ?? ''} ${String(error.cause)}`;
    assert.match(message, new RegExp(`run "${runId}" already has data.*amto resume ${runId}`), message);
    const afterwards = (await deps.store.list(runPrefix(runId))).map((object) => [
      object.key,
      object.size,
      object.lastModified.getTime(),
    ]);
    assert.deepEqual(afterwards, before, "the first run's objects are unchanged");
  });
});
