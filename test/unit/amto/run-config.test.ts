import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { parseRunConfig, queueFor, type RunConfig } from '../../../amto';

const minimal = { dataset: { kind: 'fashion-mnist' } };

function problemsOf(input: unknown): string[] {
  const result = parseRunConfig(input);
  assert.equal(result.ok, false, `expected problems for ${inspect(input)}`);
  return result.ok ? [] : result.problems;
}

function configOf(input: unknown): RunConfig {
  const result = parseRunConfig(input);
  assert.ok(result.ok, `unexpected problems: ${result.ok ? '' : result.problems.join('; ')}`);
  return result.config;
}

/** `minimal` with one field replaced, at a dotted path. */
function withField(path: string, value: unknown): Record<string, unknown> {
  const config: Record<string, unknown> = structuredClone(minimal);
  const keys = path.split('.');
  let target = config;
  for (const key of keys.slice(0, -1)) {
    target[key] = { ...((target[key] as Record<string, unknown> | undefined) ?? {}) };
    target = target[key] as Record<string, unknown>;
  }
  target[keys[keys.length - 1] as string] = value;
  return config;
}

describe('parseRunConfig defaults', () => {
  test('fills in the paper’s settings when only the dataset is given', () => {
    assert.deepEqual(configOf(minimal), {
      seed: 1,
      dataset: { kind: 'fashion-mnist', path: '/usr/share/datasets/fashion-mnist' },
      model: { arch: 'small-cnn', widthMultiplier: 1, sameInit: true },
      tasks: 4,
      split: { mode: 'random', validationFraction: 0.1, stratified: true },
      interval: 100,
      maxIterations: 10000,
      batchSize: 64,
      evalBatchSize: 256,
      optimizer: { learningRate: 1e-3, momentum: 0.9, nesterov: true, milestones: [2000, 7000], gamma: 0.1 },
      augment: { horizontalFlip: true },
      transfer: { mode: 'adaptive', temperature: 1 },
      earlyStopping: { patience: 10, mode: 'any', minDelta: 0 },
      checkpoint: { everySteps: 50, keepRounds: 3 },
      queues: { master: 'amto-master', slave: 'amto-slave', computingUnits: 0 },
      continueAsNewEveryRounds: 25,
    });
  });

  test('keeps every value a user sets, and defaults the rest of a section', () => {
    const config = configOf({
      $schema: './amto/run-config.schema.json',
      runId: 'ucmerced-run.1',
      seed: 2 ** 40,
      dataset: { kind: 'image-folder', path: 's3://datasets/ucmerced', name: 'UCMerced' },
      model: { arch: 'mobilenet_v2', inputSize: 224, channels: 3, pretrained: 's3://models/mnv2/model.json' },
      tasks: 6,
      split: { mode: 'kfold' },
      optimizer: { milestones: [], gamma: 1 },
      transfer: { mode: 'uniform', temperature: 0.5 },
      earlyStopping: { mode: 'all', minDelta: 0.001 },
      queues: { computingUnits: 2 },
    });
    assert.equal(config.runId, 'ucmerced-run.1');
    assert.equal(config.seed, 2 ** 40);
    assert.deepEqual(config.dataset, {
      kind: 'image-folder',
      path: 's3://datasets/ucmerced',
      name: 'UCMerced',
      testFraction: 0.2,
    });
    assert.deepEqual(config.model, {
      arch: 'mobilenet_v2',
      inputSize: 224,
      channels: 3,
      pretrained: 's3://models/mnv2/model.json',
      widthMultiplier: 1,
      sameInit: true,
    });
    assert.deepEqual(config.split, { mode: 'kfold', validationFraction: 0.1, stratified: true });
    assert.deepEqual(config.optimizer.milestones, []);
    assert.deepEqual(config.transfer, { mode: 'uniform', temperature: 0.5 });
    assert.deepEqual(config.earlyStopping, { patience: 10, mode: 'all', minDelta: 0.001 });
    assert.equal(config.queues.computingUnits, 2);
  });

  test('accepts a local image folder and a batch size equal to the smallest training split', () => {
    configOf({ dataset: { kind: 'image-folder', path: './data/rsscn7', testPath: '/data/rsscn7-test' } });
    // subset 100, fraction 0.1: every training split holds 90 samples.
    configOf({ dataset: { kind: 'fashion-mnist', subset: 100 }, batchSize: 90 });
  });
});

describe('parseRunConfig rejects each bad field with its own message', () => {
  const cases: [string, unknown, string][] = [
    [
      'runId',
      'a/b',
      'runId: must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit, since it becomes part of storage keys (got "a/b")',
    ],
    [
      'runId',
      '-x',
      'runId: must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit, since it becomes part of storage keys (got "-x")',
    ],
    ['seed', -1, 'seed: must be an integer ≥ 0 (got -1)'],
    ['seed', 1.5, 'seed: must be an integer ≥ 0 (got 1.5)'],
    ['seed', '7', 'seed: must be an integer ≥ 0 (got "7")'],
    ['seed', 2 ** 60, 'seed: must be an integer ≥ 0 (got 1152921504606847000)'],
    ['dataset', 5, 'dataset: must be an object whose "kind" is "fashion-mnist" or "image-folder" (got 5)'],
    ['dataset.kind', 'mnist', 'dataset.kind: must be "fashion-mnist" or "image-folder" (got "mnist")'],
    ['dataset.path', '', 'dataset.path: must be a directory path (got "")'],
    ['dataset.subset', 0, 'dataset.subset: must be an integer ≥ 1 (got 0)'],
    ['dataset.testSubset', 2.5, 'dataset.testSubset: must be an integer ≥ 1 (got 2.5)'],
    ['model', 5, 'model: must be an object (got 5)'],
    [
      'model.arch',
      'resnet50',
      'model.arch: must be one of "small-cnn", "squeezenet1_1", "mobilenet_v2", "densenet121" (got "resnet50")',
    ],
    ['model.inputSize', 4, 'model.inputSize: must be an integer from 8 to 1024 (got 4)'],
    ['model.channels', 2, 'model.channels: must be 1 or 3 (got 2)'],
    ['model.widthMultiplier', 0, 'model.widthMultiplier: must be a number > 0 (got 0)'],
    [
      'model.pretrained',
      'https://x/model.json',
      'model.pretrained: must be a file:// URL of a Keras/torchvision weights file or a file:// or s3:// URL of a TensorFlow.js model (model.json) (got "https://x/model.json")',
    ],
    ['model.sameInit', 'yes', 'model.sameInit: must be true or false (got "yes")'],
    ['tasks', 0, 'tasks: must be an integer from 1 to 256 (got 0)'],
    ['split', null, 'split: must be an object (got null)'],
    ['split.mode', 'loo', 'split.mode: must be one of "random", "kfold" (got "loo")'],
    ['split.validationFraction', 0, 'split.validationFraction: must be a number > 0 and < 1 (got 0)'],
    ['split.validationFraction', 1, 'split.validationFraction: must be a number > 0 and < 1 (got 1)'],
    ['split.stratified', 1, 'split.stratified: must be true or false (got 1)'],
    ['interval', 0, 'interval: must be an integer ≥ 1 (got 0)'],
    ['maxIterations', 1e3 + 0.5, 'maxIterations: must be an integer from 1 to 1000000000 (got 1000.5)'],
    ['batchSize', 0, 'batchSize: must be an integer ≥ 1 (got 0)'],
    ['evalBatchSize', -5, 'evalBatchSize: must be an integer ≥ 1 (got -5)'],
    ['optimizer.learningRate', 0, 'optimizer.learningRate: must be a number > 0 (got 0)'],
    ['optimizer.learningRate', Infinity, 'optimizer.learningRate: must be a number > 0 (got Infinity)'],
    ['optimizer.momentum', 1, 'optimizer.momentum: must be a number ≥ 0 and < 1 (got 1)'],
    ['optimizer.nesterov', 'no', 'optimizer.nesterov: must be true or false (got "no")'],
    [
      'optimizer.milestones',
      [7000, 2000],
      'optimizer.milestones: must be a list of strictly increasing integers ≥ 1 (got [7000,2000])',
    ],
    [
      'optimizer.milestones',
      [2000, 2000],
      'optimizer.milestones: must be a list of strictly increasing integers ≥ 1 (got [2000,2000])',
    ],
    [
      'optimizer.milestones',
      'x',
      'optimizer.milestones: must be a list of strictly increasing integers ≥ 1 (got "x")',
    ],
    [
      'optimizer.milestones',
      [0, 5],
      'optimizer.milestones[0]: must be a list of strictly increasing integers ≥ 1 (got 0)',
    ],
    ['optimizer.gamma', 0, 'optimizer.gamma: must be a number > 0 and ≤ 1 (got 0)'],
    ['optimizer.gamma', 1.5, 'optimizer.gamma: must be a number > 0 and ≤ 1 (got 1.5)'],
    ['augment.horizontalFlip', 0, 'augment.horizontalFlip: must be true or false (got 0)'],
    ['transfer.mode', 'random', 'transfer.mode: must be one of "adaptive", "uniform", "none" (got "random")'],
    ['transfer.temperature', 0, 'transfer.temperature: must be a number > 0 (got 0)'],
    ['earlyStopping.patience', 0, 'earlyStopping.patience: must be an integer ≥ 1 (got 0)'],
    ['earlyStopping.mode', 'some', 'earlyStopping.mode: must be one of "any", "all" (got "some")'],
    ['earlyStopping.minDelta', -1, 'earlyStopping.minDelta: must be a number ≥ 0 (got -1)'],
    ['checkpoint.everySteps', 0, 'checkpoint.everySteps: must be an integer ≥ 1 (got 0)'],
    ['checkpoint.keepRounds', 0, 'checkpoint.keepRounds: must be an integer ≥ 1 (got 0)'],
    ['queues.master', '', 'queues.master: must be a non-empty task queue name (got "")'],
    ['queues.slave', 5, 'queues.slave: must be a non-empty task queue name (got 5)'],
    ['queues.computingUnits', -1, 'queues.computingUnits: must be an integer ≥ 0 (got -1)'],
    ['continueAsNewEveryRounds', 0, 'continueAsNewEveryRounds: must be an integer ≥ 1 (got 0)'],
    ['$schema', 3, '$schema: must be a string (got 3)'],
  ];
  for (const [path, value, expected] of cases) {
    test(`${path} = ${JSON.stringify(value)}`, () => {
      assert.deepEqual(problemsOf(withField(path, value)), [expected]);
    });
  }

  const imageFolder = (dataset: Record<string, unknown>) => ({
    dataset: { kind: 'image-folder', path: '/data', ...dataset },
  });
  const datasetCases: [string, unknown, string][] = [
    [
      'missing path',
      { dataset: { kind: 'image-folder' } },
      'dataset.path: is required; it must be a local directory path or an s3://bucket/prefix URL',
    ],
    [
      'http path',
      imageFolder({ path: 'http://host/data' }),
      'dataset.path: must be a local directory path or an s3://bucket/prefix URL (got "http://host/data")',
    ],
    [
      's3 URL without a bucket',
      imageFolder({ path: 's3://' }),
      'dataset.path: must be a local directory path or an s3://bucket/prefix URL (got "s3://")',
    ],
    [
      'ftp testPath',
      imageFolder({ testPath: 'ftp://x/y' }),
      'dataset.testPath: must be a local directory path or an s3://bucket/prefix URL (got "ftp://x/y")',
    ],
    [
      'testFraction 1',
      imageFolder({ testFraction: 1 }),
      'dataset.testFraction: must be a number ≥ 0 and < 1 (got 1)',
    ],
    [
      'empty name',
      imageFolder({ name: '' }),
      'dataset.name: must be a non-empty string of at most 64 characters (got "")',
    ],
    [
      'fashion-mnist field on an image folder',
      imageFolder({ subset: 10 }),
      'dataset.subset: unknown field (allowed here: kind, path, testPath, testFraction, name)',
    ],
    [
      'no kind',
      { dataset: { path: '/data' } },
      'dataset.kind: is required; it must be "fashion-mnist" or "image-folder"',
    ],
    [
      'no dataset',
      {},
      'dataset: is required; it must be an object whose "kind" is "fashion-mnist" or "image-folder"',
    ],
  ];
  for (const [name, input, expected] of datasetCases) {
    test(`dataset: ${name}`, () => assert.deepEqual(problemsOf(input), [expected]));
  }

  test('a config that is not an object', () => {
    assert.deepEqual(problemsOf([minimal]), [
      'config: must be a JSON object (got [{"dataset":{"kind":"fashion-mnist"}}])',
    ]);
    assert.deepEqual(problemsOf(null), ['config: must be a JSON object (got null)']);
    assert.deepEqual(problemsOf(undefined), ['config: must be a JSON object (got undefined)']);
    assert.deepEqual(problemsOf({ ...minimal, seed: 10n }), ['seed: must be an integer ≥ 0 (got 10)']);
  });

  test('unknown fields, with a suggestion for near misses', () => {
    assert.deepEqual(problemsOf({ ...minimal, batchsize: 32 }), [
      'batchsize: unknown field; did you mean "batchSize"? (allowed here: $schema, runId, seed, dataset, model, tasks, split, interval, maxIterations, batchSize, evalBatchSize, optimizer, augment, transfer, earlyStopping, checkpoint, queues, continueAsNewEveryRounds)',
    ]);
    assert.deepEqual(problemsOf({ ...minimal, model: { archh: 'small-cnn' } }), [
      'model.archh: unknown field; did you mean "arch"? (allowed here: arch, inputSize, channels, widthMultiplier, pretrained, sameInit)',
    ]);
    assert.deepEqual(problemsOf({ ...minimal, transfer: { donors: 2 } }), [
      'transfer.donors: unknown field (allowed here: mode, temperature)',
    ]);
  });
});

describe('parseRunConfig cross-field checks', () => {
  const cases: [string, unknown, string][] = [
    [
      'kfold with one task',
      { ...minimal, tasks: 1, split: { mode: 'kfold' } },
      'split.mode: "kfold" needs tasks ≥ 2 (got tasks 1); use "random" for a single task',
    ],
    [
      'interval beyond the budget',
      { ...minimal, interval: 200, maxIterations: 100 },
      'interval: must not exceed maxIterations (got interval 200, maxIterations 100); lower interval or raise maxIterations',
    ],
    [
      'batch larger than the smallest training split',
      { dataset: { kind: 'fashion-mnist', subset: 100 }, batchSize: 91 },
      'batchSize: 91 is larger than the smallest training split (90 samples of dataset.subset 100); lower batchSize or raise dataset.subset',
    ],
    [
      'batch larger than a kfold training split',
      { dataset: { kind: 'fashion-mnist', subset: 10 }, tasks: 3, split: { mode: 'kfold' }, batchSize: 7 },
      'batchSize: 7 is larger than the smallest training split (6 samples of dataset.subset 10); lower batchSize or raise dataset.subset',
    ],
    [
      'empty validation set',
      { dataset: { kind: 'fashion-mnist', subset: 4 }, split: { validationFraction: 0.1 } },
      'split.validationFraction: 0.1 of dataset.subset 4 gives an empty validation set; raise split.validationFraction or dataset.subset',
    ],
    [
      'no training sample',
      { dataset: { kind: 'fashion-mnist', subset: 1 }, split: { validationFraction: 0.6 } },
      'split.validationFraction: 0.6 of dataset.subset 1 leaves no training sample; lower the fraction or raise dataset.subset',
    ],
    [
      'more folds than samples',
      { dataset: { kind: 'fashion-mnist', subset: 3 }, tasks: 4, split: { mode: 'kfold' } },
      'tasks: "kfold" needs at most one task per sample (got tasks 4, dataset.subset 3)',
    ],
  ];
  for (const [name, input, expected] of cases) {
    test(name, () => assert.deepEqual(problemsOf(input), [expected]));
  }

  test('a cross-field check is skipped when one of its fields is itself invalid (no misleading follow-up)', () => {
    assert.deepEqual(problemsOf({ ...minimal, interval: 'x', maxIterations: 5 }), [
      'interval: must be an integer ≥ 1 (got "x")',
    ]);
  });
});

describe('parseRunConfig reports every problem at once', () => {
  test('eleven problems in one config give eleven messages, each naming its field', () => {
    const problems = problemsOf({
      runId: 'bad id',
      seed: -3,
      dataset: { kind: 'fashion-mnist', subset: 50, extra: true },
      model: { arch: 'vgg' },
      tasks: 1,
      split: { mode: 'kfold' },
      interval: 500,
      maxIterations: 400,
      evalBatchSize: 0,
      optimizer: { milestones: [3, 2] },
      earlyStopping: { mode: 'most' },
      checkpoint: { keepRounds: 0 },
      queuez: {},
    });
    const fields = problems.map((problem) => problem.slice(0, problem.indexOf(':')));
    assert.deepEqual(fields.slice().sort(), [
      'checkpoint.keepRounds',
      'dataset.extra',
      'earlyStopping.mode',
      'evalBatchSize',
      'interval',
      'model.arch',
      'optimizer.milestones',
      'queuez',
      'runId',
      'seed',
      'split.mode',
    ]);
    assert.ok(
      problems.includes('split.mode: "kfold" needs tasks ≥ 2 (got tasks 1); use "random" for a single task'),
    );
    assert.ok(
      problems.includes(
        'interval: must not exceed maxIterations (got interval 500, maxIterations 400); lower interval or raise maxIterations',
      ),
    );
  });
});

describe('queueFor', () => {
  test('shares the two queues by default', () => {
    const config = configOf(minimal);
    assert.equal(queueFor(config, 'master', 3), 'amto-master');
    assert.equal(queueFor(config, 'slave', 0), 'amto-slave');
  });

  test('pins task m to computing unit m mod n', () => {
    const config = configOf({ ...minimal, tasks: 6, queues: { master: 'gpu-a', computingUnits: 4 } });
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5].map((task) => queueFor(config, 'master', task)),
      ['gpu-a-0', 'gpu-a-1', 'gpu-a-2', 'gpu-a-3', 'gpu-a-0', 'gpu-a-1'],
    );
    assert.equal(queueFor(config, 'slave', 5), 'amto-slave-1');
  });

  test('rejects a bad task index', () => {
    assert.throws(() => queueFor(configOf(minimal), 'master', -1), /task must be an integer ≥ 0 \(got -1\)/);
  });
});
