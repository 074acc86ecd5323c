import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { drawSplits } from '../amto';
import { buildModel, forwardFlops, loadPretrained } from '../ml/models';
import { captureModelArtifacts } from '../ml/training';
import { checkpointKey, splitsKey } from '../storage/keys';
import { objectUrl } from '../storage/object-url';
import type { ActivityDeps } from './activity-deps';
import type { PreparedRun, PrepareRunInput } from './contracts';
import { datasetDigest } from './dataset-digest';
import { datasetNameFor } from './dataset-name';
import { inputShapeFor } from './input-shape';
import { classifyingAs } from './non-retryable';
import { loadRunDataset } from './run-dataset';
import { readSplitManifest, writeSplitManifest, type SplitManifest } from './split-manifest';

/**
 * Resolves the dataset, draws the M splits, writes the split manifest and the initial checkpoints. Keys
 * are deterministic, so a retry rewrites the same objects with the same content.
 */
export async function prepareRun(
  deps: ActivityDeps,
  { runId, config }: PrepareRunInput,
): Promise<PreparedRun> {
  const { workflowExecution } = Context.current().info;
  if (workflowExecution === undefined) throw new Error('prepareRun runs only as a workflow activity');
  const preparedBy = { workflowId: workflowExecution.workflowId, workflowRunId: workflowExecution.runId };
  const manifestKey = splitsKey(runId);
  await refuseOtherRunsData(deps, runId, manifestKey, preparedBy);
  const data = await loadRunDataset(config, deps.store, deps.cacheDir);
  const labels = Array.from(data.train.labels);
  const splits = await classifyingAs('InvalidRunConfig', async () =>
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
  await writeSplitManifest(deps.store, manifestKey, {
    version: 1,
    runId,
    preparedBy,
    datasetSize: data.train.n,
    datasetDigest: datasetDigest(data),
    splits,
  });

  const inputShape = inputShapeFor(config);
  const classes = data.train.numClasses;
  // With sameInit every task starts from one checkpoint (the paper's setting); otherwise each its own seed.
  const initCount = config.model.sameInit ? 1 : config.tasks;
  const initialKeys: string[] = [];
  let flops = 0;
  for (let task = 0; task < initCount; task++) {
    const options = {
      arch: config.model.arch,
      inputShape,
      classes,
      widthMultiplier: config.model.widthMultiplier,
      seed: config.seed + task,
    };
    const model = await classifyingAs('InvalidRunConfig', async () =>
      config.model.pretrained === undefined
        ? buildModel(options)
        : loadPretrained(config.model.pretrained, options),
    );
    try {
      flops = forwardFlops(model);
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
    forwardFlops: flops,
  };
}

/**
 * A run id is prepared once: a split manifest written by another workflow execution means the id is
 * taken, and preparing again would rewrite that run's splits and initial checkpoints (and let this
 * run's retention delete its rounds).
 */
async function refuseOtherRunsData(
  deps: ActivityDeps,
  runId: string,
  manifestKey: string,
  preparedBy: NonNullable<SplitManifest['preparedBy']>,
): Promise<void> {
  if (!(await deps.store.exists(manifestKey))) return;
  const existing = await readSplitManifest(deps.store, manifestKey);
  const owner = existing.preparedBy;
  if (owner?.workflowId === preparedBy.workflowId && owner.workflowRunId === preparedBy.workflowRunId) return;
  throw ApplicationFailure.create({
    type: 'RunDataExists',
    nonRetryable: true,
    message:
      `runId: run "${runId}" already has data in ${objectUrl(deps.store, manifestKey)}` +
      (owner === undefined ? '' : ` (prepared by workflow ${owner.workflowId})`) +
      `; choose another "runId", continue it with \`amto resume ${runId}\`, or delete its objects first`,
  });
}
