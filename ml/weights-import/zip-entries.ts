import { Unzip, UnzipInflate } from 'fflate';

/**
 * The entries of a zip archive (.pth, .keras), read front to back from their local headers, so a
 * truncated archive still yields every entry before the cut (the central directory at the end is gone)
 * and the caller can name the first tensor whose data is missing. Only `wanted` entries are kept;
 * `names` lists every entry seen, `complete` tells whether the whole archive read.
 */
export function readZipEntries(
  bytes: Uint8Array,
  wanted: (name: string) => boolean = () => true,
): { entries: Map<string, Uint8Array>; names: string[]; complete: boolean } {
  const entries = new Map<string, Uint8Array>();
  const names: string[] = [];
  let complete = true;
  const unzip = new Unzip((file) => {
    names.push(file.name);
    if (!wanted(file.name)) return;
    const chunks: Uint8Array[] = [];
    file.ondata = (error, chunk, final) => {
      if (error) {
        complete = false;
        return;
      }
      chunks.push(chunk);
      if (final) entries.set(file.name, concat(chunks));
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  try {
    unzip.push(bytes, true);
  } catch {
    complete = false;
  }
  return { entries, names, complete };
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
