import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { createStream } from '../../../amto';

/** Tolerance of every WASM-vs-CPU comparison: max|a − b| / max(1, max|b|). */
export const RELATIVE_TOLERANCE = 1e-4;

export interface HostTensor {
  values: Float32Array | Int32Array;
  shape: number[];
  dtype?: 'float32' | 'int32';
}

export interface KernelResult {
  values: Float32Array | Int32Array | Uint8Array;
  shape: number[];
}

/** Deterministic uniform numbers in [0, 1) (amto's generator), so every run checks the same cases. */
export function seededRandom(seed: number): () => number {
  const stream = createStream(seed, 'kernel-test-case');
  return () => stream.nextFloat();
}

export function randomInt(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

export function randomTensor(random: () => number, shape: number[], offset = 0): HostTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return { values: Float32Array.from({ length: size }, () => random() * 2 - 1 + offset), shape };
}

export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let maxDifference = 0;
  let maxExpected = 0;
  for (let i = 0; i < expected.length; i++) {
    maxDifference = Math.max(maxDifference, Math.abs((actual[i] ?? Number.NaN) - (expected[i] ?? 0)));
    maxExpected = Math.max(maxExpected, Math.abs(expected[i] ?? 0));
  }
  return actual.length === expected.length
    ? maxDifference / Math.max(1, maxExpected)
    : Number.POSITIVE_INFINITY;
}

/** Runs one kernel on `backend` through the engine, like an op would, and reads the result back. */
export async function runKernelOn(
  backend: 'cpu' | 'wasm',
  kernelName: string,
  inputs: Record<string, HostTensor>,
  attrs: tf.NamedAttrMap,
): Promise<KernelResult> {
  await tf.setBackend(backend);
  const tensors: tf.NamedTensorMap = {};
  for (const [name, input] of Object.entries(inputs)) {
    tensors[name] = tf.tensor(input.values, input.shape, input.dtype ?? 'float32');
  }
  const output = tf.engine().runKernel(kernelName, tensors, attrs) as tf.Tensor;
  const result = { values: await output.data(), shape: output.shape };
  tf.dispose([output, ...Object.values(tensors)]);
  return result;
}

/** Tensors the engine tracks plus buffers the WASM backend holds: a leaking kernel raises either. */
export function liveTensorCounts(): { engineTensors: number; backendBuffers: number } {
  const backend = tf.engine().findBackend('wasm') as BackendWasm | null;
  return { engineTensors: tf.memory().numTensors, backendBuffers: backend?.numDataIds() ?? 0 };
}
