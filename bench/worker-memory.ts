/**
 * Memory of a training worker over many intervals: each interval does what `trainInterval` does to a
 * model — rebuild it from checkpoint artifacts with its optimizer state, train, validate, capture the
 * new artifacts and optimizer state, dispose — and the process's tf.memory() and RSS are printed at
 * intervals 1, 10, 50 and 100 (and the last). Flat numbers mean nothing leaks per interval, in tfjs'
 * tensor bookkeeping or in the native library's own heap (which only RSS shows).
 *
 *   node --import tsx bench/worker-memory.ts [--backend tensorflow|wasm] [--intervals 100] [--steps 5]
 */
import * as tf from '@tensorflow/tfjs';
import { parseArgs } from 'node:util';
import { selectBackend, type BackendName } from '../ml/backend';
import { buildModel } from '../ml/models';
import {
  captureModelArtifacts,
  captureOptimizerState,
  createOptimizer,
  evaluate,
  modelFromArtifacts,
  restoreOptimizerState,
  trainSteps,
} from '../ml/training';
import { randomImageDataset } from '../test/unit/ml/random-image-dataset';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'tensorflow' },
    intervals: { type: 'string', default: '100' },
    steps: { type: 'string', default: '5' },
  },
});
const intervals = Number(values.intervals);
const steps = Number(values.steps);

async function main(): Promise<void> {
  const selection = await selectBackend(values.backend as BackendName, { log: () => undefined });
  const data = randomImageDataset({ n: 256, height: 28, width: 28, channels: 1, numClasses: 10, seed: 1 });
  const batches = (step: number): number[] => Array.from({ length: 32 }, (_, i) => (step * 32 + i) % data.n);
  let artifacts = await captureModelArtifacts(
    buildModel({ arch: 'small-cnn', inputShape: [28, 28, 1], classes: 10, seed: 1 }),
  );
  let optimizerState: Awaited<ReturnType<typeof captureOptimizerState>> | undefined;
  const report = new Set([1, 10, 50, intervals]);
  console.log(`backend ${selection.backend} — ${selection.detail}`);
  console.log('| interval | tensors | tensor MB | RSS MB |');
  console.log('|---|---|---|---|');
  for (let interval = 1; interval <= intervals; interval++) {
    const model = await modelFromArtifacts(artifacts);
    const optimizer = createOptimizer({ learningRate: 0.01, momentum: 0.9, nesterov: true });
    if (optimizerState !== undefined) await restoreOptimizerState(optimizer, model, optimizerState);
    await trainSteps({
      model,
      optimizer,
      data,
      batches,
      fromStep: (interval - 1) * steps,
      steps,
      lrAt: () => 0.01,
      flip: true,
      seed: 1,
      task: 0,
    });
    await evaluate({ model, data, batchSize: 64 });
    artifacts = await captureModelArtifacts(model);
    optimizerState = await captureOptimizerState(optimizer, model);
    model.dispose();
    optimizer.dispose();
    if (report.has(interval)) {
      const memory = tf.memory();
      const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
      console.log(
        `| ${interval} | ${memory.numTensors} | ${mb(memory.numBytes)} | ${mb(process.memoryUsage().rss)} |`,
      );
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
