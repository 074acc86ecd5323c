import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';

/** An unsigned-byte IDX array (the MNIST file format): its dimensions and row-major data. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** IDX type code 0x08: unsigned byte, the only type the (Fashion-)MNIST files use. */
const UNSIGNED_BYTE = 0x08;

/** Reads a gzipped IDX file (magic 0x00 0x00 <type> <rank>, big-endian uint32 dims, then data). */
export async function readIdxGz(path: string): Promise<IdxArray> {
  const compressed = await readFile(path).catch((error: Error) => {
    throw new Error(`Cannot read ${path}: ${error.message}`);
  });
  let bytes: Buffer;
  try {
    bytes = gunzipSync(compressed);
  } catch (error) {
    throw new Error(`${path} is not a valid gzip file: ${(error as Error).message}`);
  }
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== UNSIGNED_BYTE) {
    throw new Error(`${path} is not an unsigned-byte IDX file (bad magic number)`);
  }
  const rank = bytes[3] as number;
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    throw new Error(`${path} is truncated: its IDX header is incomplete`);
  }
  const dims = Array.from({ length: rank }, (_, i) => bytes.readUInt32BE(4 + 4 * i));
  const count = dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== headerBytes + count) {
    throw new Error(
      `${path} is truncated or padded: dims ${dims.join('×')} need ${count} bytes, found ${bytes.length - headerBytes}`,
    );
  }
  return { dims, data: new Uint8Array(bytes.buffer, bytes.byteOffset + headerBytes, count) };
}
