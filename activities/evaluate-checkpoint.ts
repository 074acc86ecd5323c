import { evaluate } from '../ml/training';
import { splitsKey } from '../storage/keys';
import type { ActivityDeps } from './activity-deps';
import type { EvaluateInput, SplitScore } from './contracts';
import { checkDatasetDigest } from './dataset-digest';
import { loadRunDataset } from './run-dataset';
import { readSplitManifest } from './split-manifest';
import { openSession } from './training-session';

/** A checkpoint's loss and accuracy on a list of splits: validation sets (final selection) or the test set. */
export async function evaluateCheckpoint(deps: ActivityDeps, input: EvaluateInput): Promise<SplitScore[]> {
  const { runId, config, checkpoint, splits } = input;
  const [data, manifest] = await Promise.all([
    loadRunDataset(config, deps.store, deps.cacheDir),
    readSplitManifest(deps.store, splitsKey(runId)),
  ]);
  checkDatasetDigest(data, manifest.datasetDigest, runId);
  const session = await openSession(deps.checkpoints, checkpoint, config);
  try {
    const scores: SplitScore[] = [];
    for (const split of splits) {
      if (split.kind === 'test') {
        if (data.test === null) throw new Error(`run ${runId}: the dataset has no test set to evaluate on`);
        scores.push({
          split,
          ...(await evaluate({ model: session.model, data: data.test, batchSize: config.evalBatchSize })),
        });
      } else {
        const indices = manifest.splits[split.task]?.validation;
        if (indices === undefined)
          throw new Error(`run ${runId}: no validation split for task ${split.task}`);
        scores.push({
          split,
          ...(await evaluate({
            model: session.model,
            data: data.train,
            indices,
            batchSize: config.evalBatchSize,
          })),
        });
      }
    }
    return scores;
  } finally {
    session.dispose();
  }
}
