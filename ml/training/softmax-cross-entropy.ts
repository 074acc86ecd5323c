import * as tf from '@tensorflow/tfjs';

/** Per-sample softmax cross-entropy of logits [batch, classes] against integer labels [batch]. */
export function softmaxCrossEntropy(logits: tf.Tensor, labels: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const classes = logits.shape[1];
    if (logits.rank !== 2 || classes === undefined) {
      throw new Error(
        `softmaxCrossEntropy: expected logits of shape [batch, classes]; got [${logits.shape.join(', ')}]`,
      );
    }
    const oneHot = tf.oneHot(labels, classes);
    return tf.losses.softmaxCrossEntropy(
      oneHot,
      logits,
      undefined,
      undefined,
      tf.Reduction.NONE,
    ) as tf.Tensor1D;
  });
}
