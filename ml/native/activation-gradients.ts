import * as tf from '@tensorflow/tfjs';
import { attr, onNativeBackend, runOp } from './tensorflow-op';

/**
 * On the native backend, ReLU's gradient is TensorFlow's ReluGrad (one kernel) instead of tfjs'
 * dy · step(x), which tfjs-node runs as four; ReLU6 (a ReLU layer with maxValue 6, i.e. ClipByValue(0, 6)
 * after Relu) takes Relu6Grad. Other backends keep tfjs' own gradients, which these wrap.
 */
export function registerNativeActivationGradients(): void {
  overrideGradient(tf.Relu, (dy, [x]) => runOp('ReluGrad', [attr.float32Type('T')], [dy, x as tf.Tensor]));
  overrideGradient(tf.ClipByValue, (dy, [x], attrs) =>
    attrs.clipValueMin === 0 && attrs.clipValueMax === 6
      ? runOp('Relu6Grad', [attr.float32Type('T')], [dy, x as tf.Tensor])
      : undefined,
  );
}

type NativeGradient = (dy: tf.Tensor, saved: tf.Tensor[], attrs: tf.NamedAttrMap) => tf.Tensor | undefined;

const overridden = new Set<string>();

function overrideGradient(kernelName: string, native: NativeGradient): void {
  if (overridden.has(kernelName)) return;
  const original = tf.getGradient(kernelName);
  if (original === undefined) throw new Error(`tfjs has no gradient for ${kernelName} to wrap`);
  overridden.add(kernelName);
  // registerGradient warns when it replaces one; the replacement is deliberate.
  const warn = console.warn;
  console.warn = () => undefined;
  try {
    tf.registerGradient({
      ...original,
      gradFunc: (dy, saved, attrs) => {
        const gradient =
          onNativeBackend() && !Array.isArray(dy) && dy.dtype === 'float32'
            ? native(dy, saved, attrs)
            : undefined;
        return gradient === undefined ? original.gradFunc(dy, saved, attrs) : { x: () => gradient };
      },
    });
  } finally {
    console.warn = warn;
  }
}
