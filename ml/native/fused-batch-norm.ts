import * as tf from '@tensorflow/tfjs';
import { attr, runOpOutputs } from './tensorflow-op';

/**
 * Receives the batch mean and the *biased* batch variance per channel (as tfjs-layers' moments give them)
 * while they exist: they live only inside the fused op's scope.
 */
export type BatchStatisticsConsumer = (mean: tf.Tensor1D, variance: tf.Tensor1D) => void;

/**
 * Training-mode batch normalisation of an NHWC batch as TensorFlow's FusedBatchNormV3, with its gradient
 * FusedBatchNormGradV3: two kernels where tfjs-layers runs about forty (moments, normalisation and the
 * gradients of each). Same function as tfjs-layers' `normalizeBatchInTraining` over axes [0, 1, 2].
 */
export function fusedBatchNormTraining(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
  onStatistics: BatchStatisticsConsumer,
): tf.Tensor4D {
  const attrs = (): ReturnType<typeof attr.float>[] => [
    attr.float32Type('T'),
    attr.float32Type('U'),
    attr.float('epsilon', epsilon),
    attr.string('data_format', 'NHWC'),
    attr.bool('is_training', true),
  ];
  const normalize = tf.customGrad((...args: (tf.Tensor | ((tensors: tf.Tensor[]) => void))[]) => {
    const [input, scale, offset] = args as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D];
    const save = args[3] as (tensors: tf.Tensor[]) => void;
    const empty = tf.tensor1d([], 'float32');
    // Outputs: y, batch mean, batch variance (Bessel-corrected), and three reserve spaces for the gradient.
    const [y, mean, besselVariance, reserve1, reserve2, reserve3] = runOpOutputs(
      'FusedBatchNormV3',
      [...attrs(), attr.float('exponential_avg_factor', 1)],
      [input, scale, offset, empty, empty],
      6,
    ) as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor, tf.Tensor, tf.Tensor];
    empty.dispose();
    const count = input.shape[0] * input.shape[1] * input.shape[2];
    onStatistics(mean, tf.mul(besselVariance, count > 1 ? (count - 1) / count : 1));
    save([input, scale, reserve1, reserve2, reserve3]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedInput, savedScale, r1, r2, r3] = saved as [
          tf.Tensor,
          tf.Tensor,
          tf.Tensor,
          tf.Tensor,
          tf.Tensor,
        ];
        const [dx, dScale, dOffset] = runOpOutputs(
          'FusedBatchNormGradV3',
          attrs(),
          [dy, savedInput, savedScale, r1, r2, r3],
          5,
        );
        return [dx as tf.Tensor, dScale as tf.Tensor, dOffset as tf.Tensor];
      },
    };
  });
  return normalize(x, gamma, beta) as tf.Tensor4D;
}
