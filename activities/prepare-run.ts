import { ApplicationFailure } from '@temporalio/common';
import { drawSplits } from '../amto';
import { buildModel, loadPretrained } from '../ml/models';
import { captureModelArtifacts } from '../ml/training';
import { checkpointKey, splitsKey } from '../storage/keys';
import { objectUrl } from '../storage/object-url';
import type { ActivityDeps } from './activity-deps';
import type { PreparedRun, PrepareRunInput } from './contracts';
import { failingWithoutRetry } from './non-retryable';
import { datasetNameFor, inputShapeFor, loadRunDataset } from './run-dataset';
import { writeSplitManifest } from './split-manifest';

/**
 * Resolves the dataset, draws the M splits, writes the split manifest and the initial checkpoints. Keys
 * are deterministic, so a retry rewrites the same objects with the same content.
 */
export async function prepareRun(
  deps: ActivityDeps,
  { runId, config }: PrepareRunInput,
): Promise<PreparedRun> {
  const data = await loadRunDataset(config, deps.store, deps.cacheDir);
  const labels = Array.from(data.train.labels);
  const splits = await failingWithoutRetry('InvalidRunConfig', async () =>
    drawSplits({
      n: data.train.n,
      labels,
      tasks: config.tasks,
      mode: config.split.mode,
      validationFraction: config.split.validationFraction,
      stratified: config.split.stratified,
      seed: config.seed,
    }),
  );
  const smallestTrain = Math.min(...splits.map((split) => split.train.length));
  if (config.batchSize > smallestTrain) {
    throw ApplicationFailure.create({
      type: 'InvalidRunConfig',
      nonRetryable: true,
      message:
        `batchSize: ${config.batchSize} is larger than the smallest train split (${smallestTrain} samples); ` +
        'lower batchSize or use more data',
    });
  }
  const manifestKey = splitsKey(runId);
  await writeSplitManifest(deps.store, manifestKey, { version: 1, runId, datasetSize: data.train.n, splits });

  const inputShape = inputShapeFor(config);
  const classes = data.train.numClasses;
  // With sameInit every task starts from one checkpoint (the paper's setting); otherwise each its own seed.
  const initCount = config.model.sameInit ? 1 : config.tasks;
  const initialKeys: string[] = [];
  for (let task = 0; task < initCount; task++) {
    const options = {
      arch: config.model.arch,
      inputShape,
      classes,
      widthMultiplier: config.model.widthMultiplier,
      seed: config.seed + task,
    };
    const model = await failingWithoutRetry('InvalidRunConfig', async () =>
      config.model.pretrained === undefined
        ? buildModel(options)
        : loadPretrained(config.model.pretrained, options),
    );
    try {
      const key = checkpointKey(runId, 0, task, 'init');
      await deps.checkpoints.saveCheckpoint(key, {
        model: await captureModelArtifacts(model),
        optimizer: null,
        step: 0,
        meta: { runId, task, role: 'init', arch: config.model.arch, inputShape, classes },
      });
      initialKeys.push(key);
    } finally {
      model.dispose();
    }
  }
  return {
    initialCheckpoints: Array.from(
      { length: config.tasks },
      (_, task) => initialKeys[task % initCount] as string,
    ),
    splitManifestKey: manifestKey,
    datasetName: datasetNameFor(config),
    trainSizes: splits.map((split) => split.train.length),
    validationSizes: splits.map((split) => split.validation.length),
    testSize: data.test?.n ?? 0,
    numClasses: classes,
    storageUrl: objectUrl(deps.store, '').replace(/\/$/, ''),
  };
}
