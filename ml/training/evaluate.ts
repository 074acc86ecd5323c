import * as tf from '@tensorflow/tfjs';
import { gatherBatch } from '../datasets/batch';
import type { ImageDataset } from '../datasets/image-dataset';
import { checkModelFitsData } from './model-data-check';
import { softmaxCrossEntropy } from './softmax-cross-entropy';

export interface EvaluateOptions {
  model: tf.LayersModel;
  data: ImageDataset;
  /** Samples to evaluate (default: all of `data`). */
  indices?: readonly number[];
  batchSize: number;
}

export interface EvaluationResult {
  /** Mean softmax cross-entropy. */
  loss: number;
  /** Share of samples whose highest logit is the true class. */
  accuracy: number;
  count: number;
}

/** Loss and accuracy in inference mode (batch-norm moving statistics, no dropout), batch by batch. */
export async function evaluate({
  model,
  data,
  indices,
  batchSize,
}: EvaluateOptions): Promise<EvaluationResult> {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`evaluate: batchSize must be a positive integer; got ${JSON.stringify(batchSize)}`);
  }
  checkModelFitsData(model, data, 'evaluate');
  const samples = indices ?? Array.from({ length: data.n }, (_, i) => i);
  if (samples.length === 0) {
    throw new Error('evaluate: no samples to evaluate (indices is empty)');
  }
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < samples.length; start += batchSize) {
    const batchIndices = samples.slice(start, start + batchSize);
    const [lossTotal, hits] = tf.tidy(() => {
      const batch = gatherBatch(data, batchIndices);
      const logits = model.apply(batch.images, { training: false }) as tf.Tensor;
      const isCorrect = tf.equal(tf.argMax(logits, 1), batch.labels);
      return [tf.sum(softmaxCrossEntropy(logits, batch.labels)), tf.sum(tf.cast(isCorrect, 'int32'))];
    });
    lossSum += (await lossTotal.data())[0] as number;
    correct += (await hits.data())[0] as number;
    tf.dispose([lossTotal, hits]);
    // Long validation sets must not starve heartbeats either.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return { loss: lossSum / samples.length, accuracy: correct / samples.length, count: samples.length };
}
