/**
 * Activity timeouts sized from the model and the slowest backend a worker may run, not fixed: a
 * heartbeat timeout must outlast the longest stretch in which the worker's JavaScript cannot run (one
 * training step or evaluation batch), and start-to-close must outlast a whole healthy attempt.
 */
import type { RunConfig } from '../amto';

/**
 * FLOP/s of the slowest supported training backend (tfjs WASM, one thread, on a loaded machine):
 * docs/benchmarks.md records 1.4-6 GFLOP/s on this project's models, 2.5-4× slower under load.
 */
export const slowestBackendFlopsPerSecond = 0.4e9;
/** DenseNet-121 at 224²: the largest zoo model, for runs prepared before FLOPs were recorded. */
export const largestModelForwardFlops = 5.7e9;
/** A training step costs about three forward passes (forward, and two for the gradients). */
const trainingPassesPerStep = 3;
/** Heartbeat timeout over the longest blocking piece: room for a loaded machine. */
const heartbeatMargin = 4;
/**
 * Decoding a dataset the first time a worker needs it runs synchronously (Fashion-MNIST: 25 s measured
 * on a loaded 2-core machine), and is not a function of the model.
 */
const minHeartbeatSeconds = 60;
/** Start-to-close over a healthy attempt's expected time. */
const attemptMargin = 4;
/** Loading a dataset, downloads, checkpoints: time that does not scale with steps. */
const fixedAttemptSeconds = 20 * 60;

export interface ActivityTimeouts {
  heartbeatTimeoutSeconds: number;
  trainStartToCloseSeconds: number;
  evaluateStartToCloseSeconds: number;
}

/** `forwardFlops`: one forward pass for one image (prepareRun measures it on the built model). */
export function activityTimeouts(
  config: RunConfig,
  forwardFlops: number | undefined,
  validationSize: number,
  steps: number,
): ActivityTimeouts {
  const flops = forwardFlops ?? largestModelForwardFlops;
  const stepSeconds = (trainingPassesPerStep * flops * config.batchSize) / slowestBackendFlopsPerSecond;
  const evalBatchSeconds = (flops * config.evalBatchSize) / slowestBackendFlopsPerSecond;
  const evaluateSeconds = (flops * validationSize) / slowestBackendFlopsPerSecond;
  return {
    heartbeatTimeoutSeconds: Math.ceil(
      Math.max(minHeartbeatSeconds, heartbeatMargin * Math.max(stepSeconds, evalBatchSeconds)),
    ),
    trainStartToCloseSeconds: Math.ceil(
      fixedAttemptSeconds + attemptMargin * (steps * stepSeconds + evaluateSeconds),
    ),
    evaluateStartToCloseSeconds: Math.ceil(fixedAttemptSeconds + attemptMargin * evaluateSeconds),
  };
}
