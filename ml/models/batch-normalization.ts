import * as tf from '@tensorflow/tfjs';
import { fusedBatchNormTraining } from '../native/fused-batch-norm';
import { onNativeBackend } from '../native/tensorflow-op';

/** tfjs-layers' own class (not exported by @tensorflow/tfjs), so the subclass is the one models use. */
const TfjsBatchNormalization = Object.getPrototypeOf(tf.layers.batchNormalization({})).constructor as new (
  args?: Parameters<typeof tf.layers.batchNormalization>[0],
) => tf.layers.Layer;

/** The tfjs-layers fields training reads (private in its typings). */
interface BatchNormalizationState {
  axis: number;
  momentum: number;
  epsilon: number;
  gamma: tf.LayerVariable | null;
  beta: tf.LayerVariable | null;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

/**
 * tfjs-layers' BatchNormalization, training through TensorFlow's fused kernels on the native backend.
 * Serialises as 'BatchNormalization' with the same config and weights, so saved models and checkpoints
 * are unchanged and plain tfjs loads them; on other backends, and in inference, it is the parent.
 */
export class BatchNormalization extends TfjsBatchNormalization {
  static className = 'BatchNormalization';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const state = this as unknown as BatchNormalizationState;
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    const fusable =
      kwargs.training === true &&
      onNativeBackend() &&
      input !== undefined &&
      input.rank === 4 &&
      (state.axis === -1 || state.axis === 3) &&
      state.gamma !== null &&
      state.beta !== null;
    if (!fusable) return super.call(inputs, kwargs);
    const gamma = state.gamma as tf.LayerVariable;
    const beta = state.beta as tf.LayerVariable;
    // The same moving averages tfjs-layers keeps: moving -= (moving − batch) · (1 − momentum).
    const updateMovingStatistics = (mean: tf.Tensor1D, variance: tf.Tensor1D): void => {
      for (const [moving, batch] of [
        [state.movingMean, mean],
        [state.movingVariance, variance],
      ] as const) {
        const current = moving.read();
        moving.write(tf.sub(current, tf.mul(tf.sub(current, batch), 1 - state.momentum)));
      }
    };
    return fusedBatchNormTraining(
      input as tf.Tensor4D,
      gamma.read() as tf.Tensor1D,
      beta.read() as tf.Tensor1D,
      state.epsilon,
      updateMovingStatistics,
    );
  }
}
tf.serialization.registerClass(
  BatchNormalization as unknown as tf.serialization.SerializableConstructor<tf.layers.Layer>,
);

export function batchNormalization(
  args: Parameters<typeof tf.layers.batchNormalization>[0],
): tf.layers.Layer {
  return new BatchNormalization(args);
}
