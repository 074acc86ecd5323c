/**
 * Mini-batch order: a pure function of (seed, task, step), so the master and the slave of task m see
 * the same batches in a round (the transfer decision then compares weights, not batch luck), and a
 * retried or resumed interval replays exactly the batches it would have seen.
 *
 * The sample stream of a task is the concatenation of one fresh permutation of its training split per
 * epoch. Global step s takes positions [s·B, s·B + B) of that stream. When an epoch's tail is shorter
 * than B, the batch is completed from the start of the next epoch's permutation: every batch is full
 * (constant batch statistics and step size) and every epoch still visits each training sample exactly
 * once. A batch that straddles two epochs can, rarely, hold the same sample twice.
 */
import { createStream } from './prng';

export interface BatchRequest {
  seed: number;
  /** The task whose split is trained; the slave of task m uses m, not its donor. */
  task: number;
  /** Global training step, 0-based (the same count the learning-rate schedule uses). */
  step: number;
  /** Size of the task's training split. */
  trainSize: number;
  batchSize: number;
}

function checkPositiveInteger(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be an integer ≥ 1 (got ${String(value)})`);
  }
}

/** The order in which epoch `epoch` of task `task` visits its training split: a permutation of 0..trainSize-1. */
export function epochPermutation(seed: number, task: number, epoch: number, trainSize: number): Int32Array {
  checkPositiveInteger(trainSize, 'trainSize');
  const order = new Int32Array(trainSize);
  for (let i = 0; i < trainSize; i++) order[i] = i;
  return createStream(seed, 'batch', task, epoch).shuffle(order);
}

/**
 * Positions into the task's training split (0..trainSize-1) for global step `step`; always batchSize
 * of them. Costs one permutation per epoch the batch touches (usually one): O(trainSize).
 */
export function batchIndices(request: BatchRequest): number[] {
  const { seed, task, step, trainSize, batchSize } = request;
  checkPositiveInteger(trainSize, 'trainSize');
  checkPositiveInteger(batchSize, 'batchSize');
  if (!Number.isSafeInteger(step) || step < 0) {
    throw new RangeError(`step must be an integer ≥ 0 (got ${String(step)})`);
  }
  const start = step * batchSize;
  if (!Number.isSafeInteger(start + batchSize)) {
    throw new RangeError(`step ${step} × batchSize ${batchSize} is too large to address samples exactly`);
  }
  const batch: number[] = [];
  let position = start;
  while (position < start + batchSize) {
    const epoch = Math.floor(position / trainSize);
    const order = epochPermutation(seed, task, epoch, trainSize);
    const epochEnd = Math.min((epoch + 1) * trainSize, start + batchSize);
    for (; position < epochEnd; position++) batch.push(order[position - epoch * trainSize] as number);
  }
  return batch;
}
