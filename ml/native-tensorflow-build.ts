/**
 * What infra/native-tensorflow.ts builds and ml/backend.ts loads: the TensorFlow C library of this PyPI
 * wheel version, under the npm package of each flavour (the two packages differ only in the library
 * their addon links).
 */
export const NATIVE_TENSORFLOW_VERSION = '2.21.0';

export type NativeFlavour = 'cpu' | 'gpu';

export const nativeTensorflowPackage: Record<NativeFlavour, string> = {
  cpu: '@tensorflow/tfjs-node',
  gpu: '@tensorflow/tfjs-node-gpu',
};
