/**
 * Every document read back from the store is parsed with its one schema, and a bad one is refused
 * naming the object key and the field (issue 13). Runs on the local-directory store: no servers.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { io } from '@tensorflow/tfjs';
import { initialState, InvalidDocumentError, parseRunConfig, type RunConfig } from '../../../amto';
import type { RunStateDocument } from '../../../activities/contracts';
import { readSplitManifest, writeSplitManifest } from '../../../activities/split-manifest';
import { loadLatestDocument, loadRoundDocuments } from '../../../cli/run-state-documents';
import { CheckpointStore } from '../../../storage/checkpoint-store';
import { CorruptCheckpointError, CorruptObjectError } from '../../../storage/errors';
import { LocalObjectStore } from '../../../storage/local-object-store';
import { RunStateStore } from '../../../storage/run-state-store';

let dir: string;
let store: LocalObjectStore;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'amto-documents-'));
  store = new LocalObjectStore(dir);
});
after(() => rm(dir, { recursive: true, force: true }));

function runConfig(): RunConfig {
  const parsed = parseRunConfig({ dataset: { kind: 'fashion-mnist', subset: 1000 }, tasks: 2 });
  assert.ok(parsed.ok);
  return parsed.config;
}

function runStateDocument(runId: string): RunStateDocument {
  const config = runConfig();
  return {
    version: 1,
    runId,
    workflowId: `amto-${runId}`,
    config,
    prepared: {
      initialCheckpoints: [`runs/${runId}/r0/t0/init`, `runs/${runId}/r0/t0/init`],
      splitManifestKey: `runs/${runId}/splits.json`,
      datasetName: 'fashion-mnist',
      trainSizes: [900, 900],
      validationSizes: [100, 100],
      testSize: 0,
      numClasses: 10,
      storageUrl: `file://${dir}`,
    },
    state: { ...initialState(config, [`runs/${runId}/r0/t0/init`, `runs/${runId}/r0/t0/init`]), round: 1 },
    result: null,
  };
}

/** The error's problems, after checking it names where the document was read. */
function problemsOf(error: unknown, key: string): string[] {
  assert.ok(error instanceof InvalidDocumentError, String(error));
  assert.match(error.where, new RegExp(`^${key.replace(/\./g, '\\.')} in `));
  assert.ok(error.message.startsWith(error.where));
  return error.problems;
}

describe('run-state documents (amto resume, status, export, report)', () => {
  test('a stored document reads back unchanged', async () => {
    const runStates = new RunStateStore(store);
    const document = runStateDocument('good-run');
    await runStates.writeRunState('good-run', 1, document);
    assert.deepEqual(await loadLatestDocument(runStates, 'good-run'), document);
    assert.deepEqual(await loadRoundDocuments(runStates, 'good-run', 1), [document]);
  });

  test('a document with bad fields is refused naming the key and every field', async () => {
    const runStates = new RunStateStore(store);
    const document = runStateDocument('bad-run') as unknown as {
      prepared: Record<string, unknown>;
      state: { round: number; tasks: { relationship: number[] }[] };
      config: Record<string, unknown>;
    };
    delete document.prepared['storageUrl'];
    document.state.round = -1;
    document.state.tasks[1]!.relationship = [0];
    document.config['tasks'] = 0;
    await runStates.writeRunState('bad-run', 1, document);
    const reads: [() => Promise<unknown>, string][] = [
      [() => loadLatestDocument(runStates, 'bad-run'), 'runs/bad-run/state/latest.json'],
      [() => loadRoundDocuments(runStates, 'bad-run', 1), 'runs/bad-run/state/round-1.json'],
    ];
    for (const [read, key] of reads) {
      await assert.rejects(read(), (error: unknown) => {
        const problems = problemsOf(error, key);
        assert.deepEqual(problems.map((problem) => problem.slice(0, problem.indexOf(':'))).sort(), [
          'config.tasks',
          'prepared.storageUrl',
          'state.round',
          'state.tasks[1].relationship',
        ]);
        assert.ok(problems.includes('state.round: must be an integer ≥ 0 (got -1)'), problems.join('\n'));
        assert.ok(
          problems.includes('state.tasks[1].relationship: must have 2 entries, one per task (got [0])'),
          problems.join('\n'),
        );
        return true;
      });
    }
  });

  test('an object that is not a run-state record is corrupt, naming its key and field', async () => {
    await store.putObject(
      'runs/odd-run/state/latest.json',
      Buffer.from(JSON.stringify({ format: 'amto-run-state', version: 1, runId: 'odd-run', round: 'one' })),
    );
    await assert.rejects(loadLatestDocument(new RunStateStore(store), 'odd-run'), (error: unknown) => {
      assert.ok(error instanceof CorruptObjectError, String(error));
      assert.match(error.message, /"runs\/odd-run\/state\/latest\.json" is corrupt/);
      assert.match(error.message, /round: must be an integer ≥ 0 \(got "one"\)/);
      assert.match(error.message, /writtenAt: is required/);
      return true;
    });
  });
});

describe('split manifest', () => {
  test('round-trips, and a sample index outside the dataset is refused naming the key and the index', async () => {
    const splits = [
      { train: [0, 1, 2], validation: [3] },
      { train: [1, 2, 3], validation: [0] },
    ];
    await writeSplitManifest(store, 'runs/s1/splits.json', {
      version: 1,
      runId: 's1',
      datasetSize: 4,
      splits,
    });
    assert.deepEqual((await readSplitManifest(store, 'runs/s1/splits.json')).splits, splits);

    const outside = [{ train: [0, 1, 2], validation: [3, 4] }];
    await writeSplitManifest(store, 'runs/s2/splits.json', {
      version: 1,
      runId: 's2',
      datasetSize: 4,
      splits: outside,
    });
    await assert.rejects(readSplitManifest(store, 'runs/s2/splits.json'), (error: unknown) => {
      assert.ok(error instanceof CorruptObjectError, String(error));
      assert.match(error.message, /"runs\/s2\/splits\.json" is corrupt: not a valid split manifest/);
      assert.match(error.message, /splits\[0\]\.validation\[1\]: must be below datasetSize 4 \(got 4\)/);
      return true;
    });
    await store.putObject('runs/s3/splits.json', Buffer.from('{"version":1,"runId":"s3"'));
    await assert.rejects(readSplitManifest(store, 'runs/s3/splits.json'), /s3\/splits\.json" is corrupt/);
  });

  test('a dataset digest is read with its formula version (v2:) or without (v1, earlier releases), else refused', async () => {
    const manifest = { version: 1 as const, datasetSize: 4, splits: [{ train: [0, 1, 2], validation: [3] }] };
    // Manifests are cached per key once read: one key per case.
    for (const [runId, digest, accepted] of [
      ['d1', `v2:${'a'.repeat(32)}`, true],
      ['d2', 'b'.repeat(32), true],
      ['d3', `v3:${'a'.repeat(32)}`, false],
      ['d4', 'a'.repeat(31), false],
    ] as const) {
      const key = `runs/${runId}/splits.json`;
      await writeSplitManifest(store, key, { ...manifest, runId, datasetDigest: digest });
      if (accepted) {
        assert.equal((await readSplitManifest(store, key)).datasetDigest, digest);
      } else {
        await assert.rejects(
          readSplitManifest(store, key),
          /datasetDigest: must be a dataset digest: "v2:" and 32 hex digits/,
        );
      }
    }
  });
});

describe('checkpoint manifest attributes and optimizer header', () => {
  const model: io.ModelArtifacts = {
    modelTopology: { class_name: 'Sequential', config: { name: 's', layers: [] } },
    weightSpecs: [{ name: 'dense/bias', shape: [2], dtype: 'float32' }],
    weightData: new Float32Array([1, 2]).buffer,
  };
  const optimizer = {
    iterations: 3,
    weights: {
      specs: [{ name: 'dense/bias/momentum', shape: [2], dtype: 'float32' as const }],
      data: new Float32Array([0, 0]).buffer,
    },
  };

  test('a manifest without a step, or an optimizer header without iterations, is a corrupt checkpoint naming the field', async () => {
    const checkpoints = new CheckpointStore(store);
    await checkpoints.saveCheckpoint('runs/c1/r1/t0/master', {
      model,
      optimizer,
      step: 7,
      meta: { task: 0 },
    });
    const loaded = await checkpoints.loadCheckpoint('runs/c1/r1/t0/master');
    assert.equal(loaded.step, 7);
    assert.equal(loaded.optimizer?.iterations, 3);

    const manifestKey = 'runs/c1/r1/t0/master/manifest.json';
    const manifest = JSON.parse(Buffer.from(await store.getObject(manifestKey)).toString('utf8')) as {
      attributes: Record<string, unknown>;
      files: Record<string, { sha256: string; size: number }>;
    };
    await store.putObject(
      manifestKey,
      Buffer.from(JSON.stringify({ ...manifest, attributes: { meta: {} } })),
    );
    await assert.rejects(checkpoints.loadCheckpoint('runs/c1/r1/t0/master'), (error: unknown) => {
      assert.ok(error instanceof CorruptCheckpointError, String(error));
      assert.match(error.message, /manifest\.json: step: is required/);
      return true;
    });

    const header = Buffer.from(JSON.stringify({ specs: optimizer.weights.specs }));
    const { createHash } = await import('node:crypto');
    await store.putObject('runs/c1/r1/t0/master/optimizer.json', header);
    manifest.files['optimizer.json'] = {
      sha256: createHash('sha256').update(header).digest('hex'),
      size: header.length,
    };
    await store.putObject(manifestKey, Buffer.from(JSON.stringify(manifest)));
    await assert.rejects(checkpoints.loadCheckpoint('runs/c1/r1/t0/master'), (error: unknown) => {
      assert.ok(error instanceof CorruptCheckpointError, String(error));
      assert.match(error.message, /optimizer\.json: iterations: is required/);
      return true;
    });
  });
});
