import * as tf from '@tensorflow/tfjs';

/**
 * Runs one TensorFlow op by name on the native backend (@tensorflow/tfjs-node's `execute*` API), for the
 * fused kernels TensorFlow has and tfjs composes from many small ops. Only meaningful while the
 * `tensorflow` backend is active: callers check `onNativeBackend()` first.
 */

interface NativeBinding {
  TF_ATTR_BOOL: number;
  TF_ATTR_FLOAT: number;
  TF_ATTR_STRING: number;
  TF_ATTR_TYPE: number;
  TF_FLOAT: number;
}

export interface OpAttr {
  name: string;
  type: number;
  value: boolean | number | string;
}

interface NativeBackend {
  binding: NativeBinding;
  executeSingleOutput(name: string, attrs: OpAttr[], inputs: tf.Tensor[]): tf.Tensor;
  executeMultipleOutputs(name: string, attrs: OpAttr[], inputs: tf.Tensor[], outputs: number): tf.Tensor[];
}

export function onNativeBackend(): boolean {
  return tf.getBackend() === 'tensorflow';
}

function nativeBackend(): NativeBackend {
  if (!onNativeBackend()) throw new Error(`native TensorFlow op requested on backend '${tf.getBackend()}'`);
  return tf.backend() as unknown as NativeBackend;
}

/** Attribute builders named after TensorFlow's attr kinds; float32 is the only dtype the zoo trains in. */
export const attr = {
  float32Type: (name: string): OpAttr => ({
    name,
    type: nativeBackend().binding.TF_ATTR_TYPE,
    value: nativeBackend().binding.TF_FLOAT,
  }),
  float: (name: string, value: number): OpAttr => ({
    name,
    type: nativeBackend().binding.TF_ATTR_FLOAT,
    value,
  }),
  string: (name: string, value: string): OpAttr => ({
    name,
    type: nativeBackend().binding.TF_ATTR_STRING,
    value,
  }),
  bool: (name: string, value: boolean): OpAttr => ({
    name,
    type: nativeBackend().binding.TF_ATTR_BOOL,
    value,
  }),
};

export function runOp(name: string, attrs: OpAttr[], inputs: tf.Tensor[]): tf.Tensor {
  return nativeBackend().executeSingleOutput(name, attrs, inputs);
}

export function runOpOutputs(
  name: string,
  attrs: OpAttr[],
  inputs: tf.Tensor[],
  outputs: number,
): tf.Tensor[] {
  return nativeBackend().executeMultipleOutputs(name, attrs, inputs, outputs);
}
