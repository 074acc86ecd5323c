/** What every weight-file reader gives the mapper: the file's tensors by name, read on demand. */

export type SourceFramework = 'keras' | 'torch';

export interface SourceTensor {
  /** The tensor's name in the file, as the framework wrote it (used in every message). */
  name: string;
  shape: number[];
  /** The values as float32, row-major in the file's own layout; throws naming the tensor if unreadable. */
  read(): Float32Array;
}

export interface SourceTensors {
  /** The file, as the user named it. */
  path: string;
  /** Keras files name tensors `<layer>/<index>`, torch files by their state-dict key. */
  framework: SourceFramework;
  /** e.g. 'keras-h5', 'keras-v3', 'torch-zip', 'torch-legacy', 'safetensors'. */
  format: string;
  /** In the file's order, keyed by kerasKey() for Keras files and by state-dict key for torch files. */
  tensors: Map<string, SourceTensor>;
}

/** Keras Applications' older files name layers with '/' where Keras 3 (and the zoo) use '_'. */
export function kerasLayerKey(layer: string): string {
  return layer.replaceAll('/', '_');
}

/**
 * The key of a Keras weight: `<layer>/<weight>`, where the weight is its short name without the `:0`
 * suffix (Keras 2's depthwise_kernel is Keras 3's kernel), or `#<index>` where the file gives only order.
 */
export function kerasKey(layer: string, weight: string | number): string {
  const short =
    typeof weight === 'number'
      ? `#${weight}`
      : (weight.split('/').pop() ?? weight).replace(/:\d+$/, '').replace(/^depthwise_kernel$/, 'kernel');
  return `${kerasLayerKey(layer)}/${short}`;
}

/** A weight file that cannot be read (truncated, another format, unsupported dtype); names the file. */
export class WeightFileError extends Error {
  override name = 'WeightFileError';
}

/** Values of `count` float32/float64/float16 elements at `offset` of `bytes`, as float32. */
export function decodeFloats(
  bytes: Uint8Array,
  offset: number,
  count: number,
  dtype: 'float32' | 'float64' | 'float16',
): Float32Array {
  const size = { float32: 4, float64: 8, float16: 2 }[dtype];
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * size);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    out[i] =
      dtype === 'float32'
        ? view.getFloat32(i * 4, true)
        : dtype === 'float64'
          ? view.getFloat64(i * 8, true)
          : halfToFloat(view.getUint16(i * 2, true));
  }
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}
