import type { NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';

/** The named input of a kernel call, or an error naming the kernel and the missing input. */
export function requireInput(inputs: NamedTensorInfoMap, name: string, kernelName: string): TensorInfo {
  const input = inputs[name];
  if (input === undefined) throw new Error(`${kernelName} was called without its '${name}' input`);
  return input;
}

/** The shape of a rank-4 (NHWC) tensor, or an error naming the kernel and the input. */
export function requireRank4(
  input: TensorInfo,
  name: string,
  kernelName: string,
): [number, number, number, number] {
  const [a, b, c, d, ...rest] = input.shape;
  if (a === undefined || b === undefined || c === undefined || d === undefined || rest.length > 0) {
    throw new Error(`${kernelName} needs a rank-4 NHWC '${name}'; got shape [${input.shape.join(', ')}]`);
  }
  return [a, b, c, d];
}
