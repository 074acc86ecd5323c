import { z } from 'zod';
import {
  decodeFloats,
  kerasKey,
  WeightFileError,
  type SourceTensor,
  type SourceTensors,
} from './source-tensors';

/**
 * Reads a .safetensors file: an 8-byte little-endian header length, a JSON header giving each tensor's
 * dtype, shape and [begin, end) byte range in the data that follows. No npm reader of it is maintained
 * for Node (the format's own libraries are Rust and Python), and the format is this one table.
 * Tensor names tell the framework: torchvision state-dict keys (`features.0.0.weight`), or Keras weight
 * paths (`Conv1/kernel`, `conv1/conv/kernel:0`).
 */

const headerEntry = z.object({
  dtype: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  data_offsets: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
});
const FLOAT_DTYPES = { F32: 'float32', F64: 'float64', F16: 'float16' } as const;

export function readSafetensors(path: string, bytes: Uint8Array): SourceTensors {
  if (bytes.byteLength < 8) throw new WeightFileError(`${path} is too short to be a .safetensors file`);
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (headerLength > bytes.byteLength - 8) {
    throw new WeightFileError(
      `${path}: its header declares ${headerLength} bytes, the file has ${bytes.byteLength - 8} after the ` +
        'length (truncated, or not a .safetensors file)',
    );
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<
      string,
      unknown
    >;
  } catch (error) {
    throw new WeightFileError(`${path}: the header is not JSON (${(error as Error).message})`);
  }
  const data = bytes.subarray(8 + headerLength);
  const names = Object.keys(header).filter((name) => name !== '__metadata__');
  const framework = names.some((name) => name.includes('/')) ? 'keras' : 'torch';
  const tensors = new Map<string, SourceTensor>();
  for (const name of names) {
    const raw = header[name];
    const parsed = headerEntry.safeParse(raw);
    if (!parsed.success) throw new WeightFileError(`${path}: header entry for ${name} is malformed`);
    const {
      dtype,
      shape,
      data_offsets: [begin, end],
    } = parsed.data;
    const key = framework === 'keras' ? kerasKey(name.split('/').slice(0, -1).join('/'), name) : name;
    tensors.set(key, {
      name,
      shape,
      read() {
        const decoded = FLOAT_DTYPES[dtype as keyof typeof FLOAT_DTYPES];
        if (decoded === undefined)
          throw new WeightFileError(`${path}: tensor ${name} is ${dtype}, not a float`);
        const count = shape.reduce((a, b) => a * b, 1);
        const size = { float32: 4, float64: 8, float16: 2 }[decoded];
        if (end > data.byteLength || end - begin !== count * size) {
          throw new WeightFileError(
            `${path}: tensor ${name} spans bytes ${begin}–${end} of a ${data.byteLength}-byte data section ` +
              '(truncated or damaged file)',
          );
        }
        return decodeFloats(data, begin, count, decoded);
      },
    });
  }
  return { path, framework, format: 'safetensors', tensors };
}
