import * as tf from '@tensorflow/tfjs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadEnvironment } from '../../infra/environment';
import { FileIOHandler, portableArtifacts } from '../../ml/models';
import { CheckpointStore } from '../../storage/checkpoint-store';
import { objectStoreFor } from '../../workers/create-deps';
import { RunStateStore } from '../../storage/run-state-store';
import { parseCommandArgs, type Command } from '../command';
import { loadLatestDocument } from '../run-state-documents';
import { UsageError } from '../usage-error';

const usage = `Usage: amto export <runId> <dir> [--checkpoint KEY] [--json]

Writes a run's chosen model as TensorFlow.js artifacts: <dir>/model.json + <dir>/weights.bin (plain
tf.loadLayersModel loads it: amto's training-only layers are written as their stock tfjs equivalents), plus <dir>/amto-model.json (run id, task, accuracies, input shape, classes).

  --checkpoint  export this checkpoint key instead of the chosen model (e.g. runs/<runId>/r3/t1/master)
  --json        print the amto-model.json contents`;

export const MODEL_INFO_FILE = 'amto-model.json';

export const exportCommand: Command = {
  name: 'export',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(this, argv, {
      checkpoint: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (positionals.length !== 2) throw new UsageError(`amto export: expected <runId> <dir>\n\n${usage}`);
    const [runId, dir] = positionals as [string, string];
    const store = objectStoreFor(loadEnvironment());
    const document = await loadLatestDocument(new RunStateStore(store), runId);
    const { result, prepared } = document;
    let key = values.checkpoint;
    if (key === undefined) {
      if (result === null) {
        throw new UsageError(
          `amto export: run ${runId} has not chosen its final model yet (round ${document.state.round}); ` +
            'wait for it to finish, or pass --checkpoint KEY',
        );
      }
      const prefix = `${prepared.storageUrl}/`;
      if (!result.checkpoint.startsWith(prefix)) {
        throw new Error(`the run's checkpoint URL ${result.checkpoint} is not under ${prefix}`);
      }
      key = result.checkpoint.slice(prefix.length);
    }
    const checkpoint = await new CheckpointStore(store).loadCheckpoint(key);
    // Loading proves the artifacts form a working model and tells its input shape and class count.
    const model = await tf.loadLayersModel(tf.io.fromMemory(checkpoint.model));
    const inputShape = model.inputs[0]?.shape.slice(1) ?? [];
    const classes = model.outputs[0]?.shape[1] ?? prepared.numClasses;
    model.dispose();
    const outDir = resolve(dir);
    // Stock layer classes only, so tf.loadLayersModel loads it without amto's code.
    await new FileIOHandler(outDir).save(portableArtifacts(checkpoint.model));
    const info = {
      format: 'amto-model',
      version: 1,
      runId,
      checkpoint: key,
      arch: document.config.model.arch,
      dataset: prepared.datasetName,
      task: result?.chosenTask ?? null,
      harmonicAccuracy: result?.harmonicAccuracy ?? null,
      validationAccuracies: result?.validationAccuracies ?? null,
      testAccuracy: result?.testAccuracy ?? null,
      inputShape,
      classes,
      step: checkpoint.step,
    };
    await writeFile(join(outDir, MODEL_INFO_FILE), `${JSON.stringify(info, null, 2)}\n`);
    if (values.json) console.log(JSON.stringify({ ...info, dir: outDir }));
    else
      console.log(
        `Exported ${key} to ${outDir} (model.json, weights.bin, ${MODEL_INFO_FILE}); ` +
          `input ${inputShape.join('×')}, ${classes} classes`,
      );
    return 0;
  },
};
