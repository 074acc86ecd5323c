import { availableParallelism } from 'node:os';

/**
 * TensorFlow sizes its thread pools from the first session's ConfigProto and keeps them for the process,
 * so the graph engine fixes its thread count once per process; a later, different request is refused
 * rather than silently ignored.
 */

let processThreads: number | undefined;

/** The thread count every graph-engine session of this process uses (AMTO_THREADS, else all cores). */
export function graphEngineThreads(requested?: number): number {
  const wanted = requested ?? threadsFromEnvironment();
  if (!Number.isInteger(wanted) || wanted < 1) {
    throw new Error(`graph engine: threads must be a positive integer; got ${JSON.stringify(wanted)}`);
  }
  if (processThreads !== undefined && processThreads !== wanted) {
    throw new Error(
      `graph engine: this process already runs TensorFlow with ${processThreads} threads; ${wanted} cannot take effect (start another process)`,
    );
  }
  processThreads = wanted;
  return wanted;
}

function threadsFromEnvironment(): number {
  const raw = process.env.AMTO_THREADS;
  if (raw === undefined || raw === '') return availableParallelism();
  const threads = Number(raw);
  if (!Number.isInteger(threads) || threads < 1) {
    throw new Error(`AMTO_THREADS must be a positive integer; got ${JSON.stringify(raw)}`);
  }
  return threads;
}

/** A serialized tensorflow.ConfigProto setting both thread pools (fields 2 and 5, varints). */
export function threadConfigProto(threads: number): Uint8Array {
  return Uint8Array.from([0x10, ...varint(threads), 0x28, ...varint(threads)]);
}

function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return bytes;
}
