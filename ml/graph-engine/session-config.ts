import { defaultNativeThreads } from '../backend';

/**
 * TensorFlow sizes its thread pools from the first session's ConfigProto and keeps them for the process,
 * so the graph engine fixes its thread count once per process; a later, different request is refused
 * rather than silently ignored.
 */

let processThreads: number | undefined;

/** The thread count every graph-engine session of this process uses (default: the native backend's). */
export function graphEngineThreads(requested?: number): number {
  const wanted = requested ?? defaultNativeThreads();
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

/**
 * A serialized tensorflow.ConfigProto: `threads` intra-op threads (field 2) and one inter-op thread
 * (field 5), as the native backend runs TensorFlow.
 */
export function threadConfigProto(threads: number): Uint8Array {
  return Uint8Array.from([0x10, ...varint(threads), 0x28, 1]);
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
