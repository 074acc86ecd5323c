import { createHash } from 'node:crypto';
import { z } from 'zod';

import { InvalidDocumentError, integer, parseDocument } from '../amto';
import { mapWithConcurrency } from './concurrency';
import { CheckpointNotFoundError, CorruptCheckpointError, ObjectNotFoundError } from './errors';
import { assertObjectKey, objectKeyProblem } from './keys';
import type { ObjectStore } from './object-store';

/**
 * A manifest makes a set of objects under one prefix a unit: it lists every file with its sha256 and
 * size and is written LAST, so readers trust only what it lists. No manifest means "absent or an
 * upload that never finished"; a file whose bytes differ from the manifest means "corrupt".
 */
export const manifestFileName = 'manifest.json';

const manifestEntrySchema = z.object({
  sha256: z
    .string('must be a sha256 digest (64 lowercase hex digits)')
    .regex(/^[0-9a-f]{64}$/, 'must be a sha256 digest (64 lowercase hex digits)'),
  size: integer(0),
});

const manifestSchema = z.object({
  format: z.literal('amto-manifest', 'must be "amto-manifest"'),
  version: z.literal(1, {
    error: (issue) => `must be 1; manifest version ${String(issue.input)} is not supported by this amto`,
  }),
  /** What the files are: 'checkpoint', 'tfjs-model', 'dataset'. */
  kind: z.string('must name what the files are, e.g. "checkpoint"'),
  /** Relative file name (may contain "/") → digest. */
  files: z
    .record(z.string(), manifestEntrySchema, 'must map file names to their sha256 and size')
    .superRefine((files, context) => {
      // Names become object keys and, for datasets, local paths: reject traversal like "../x".
      for (const name of Object.keys(files)) {
        const problem = objectKeyProblem(name);
        if (problem !== undefined) {
          context.addIssue({
            code: 'custom',
            path: [name],
            message: `is not allowed as a file name: ${problem}`,
            params: { showValue: false },
          });
        }
      }
    }),
  /** Small facts that belong to the unit (a checkpoint's step and meta, a dataset's kind). */
  attributes: z.record(z.string(), z.unknown(), 'must be an object').default({}),
});

export type ManifestEntry = z.output<typeof manifestEntrySchema>;
export type Manifest = z.output<typeof manifestSchema>;

/** Builds the error to throw for a corrupt object (e.g. CorruptCheckpointError). */
export type CorruptErrorFactory = (key: string, reason: string) => Error;

/** Reports a bad file of the checkpoint (or saved model) at `checkpointKey` against that key. */
export function corruptCheckpointAt(checkpointKey: string): CorruptErrorFactory {
  return (key, reason) =>
    new CorruptCheckpointError(checkpointKey, key === checkpointKey ? reason : `${key}: ${reason}`);
}

/** How many uploads or downloads one manifest write/read keeps in flight. */
export const transferConcurrency = 4;

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function describeBytes(bytes: Uint8Array): ManifestEntry {
  return { sha256: sha256Hex(bytes), size: bytes.byteLength };
}

/** The key of file `name` under `prefix` (a checkpoint key like `runs/x/r1/t0/master` or a folder `datasets/y/`). */
export function fileKey(prefix: string, name: string): string {
  return prefix.endsWith('/') ? `${prefix}${name}` : `${prefix}/${name}`;
}

/** Serializes with file names sorted, so the same content always gives the same bytes (and hash). */
export function encodeManifest(manifest: Manifest): Buffer {
  const files = Object.fromEntries(
    Object.entries(manifest.files).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  return Buffer.from(`${JSON.stringify({ ...manifest, files }, null, 2)}\n`);
}

/** Parses and validates manifest bytes; throws an Error naming every bad field. */
export function parseManifest(bytes: Uint8Array): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw new Error(`manifest is not valid JSON (${(error as Error).message})`);
  }
  try {
    return parseDocument(manifestSchema, value, 'manifest', 'manifest');
  } catch (error) {
    if (error instanceof InvalidDocumentError) throw new Error(`manifest: ${error.problems.join('; ')}`);
    throw error;
  }
}

/** Why `bytes` do not match `entry`, or undefined when they do. */
export function entryMismatch(bytes: Uint8Array, entry: ManifestEntry): string | undefined {
  if (bytes.byteLength !== entry.size) {
    return `size is ${bytes.byteLength} bytes, manifest says ${entry.size}`;
  }
  const actual = sha256Hex(bytes);
  return actual === entry.sha256 ? undefined : `sha256 is ${actual}, manifest says ${entry.sha256}`;
}

async function readManifestBytes(store: ObjectStore, prefix: string): Promise<Uint8Array | undefined> {
  try {
    return await store.getObject(fileKey(prefix, manifestFileName));
  } catch (error) {
    if (error instanceof ObjectNotFoundError) return undefined;
    throw error;
  }
}

/** The manifest under `prefix`, or undefined when there is none (absent or unfinished). */
export async function readManifest(
  store: ObjectStore,
  prefix: string,
  corrupt: CorruptErrorFactory,
): Promise<Manifest | undefined> {
  const bytes = await readManifestBytes(store, prefix);
  if (bytes === undefined) return undefined;
  try {
    return parseManifest(bytes);
  } catch (error) {
    throw corrupt(fileKey(prefix, manifestFileName), (error as Error).message);
  }
}

/**
 * The manifest of the checkpoint or model under `key`; throws CheckpointNotFoundError when there is
 * none, telling apart "nothing there" from "objects without a manifest" (an upload that never finished).
 */
export async function requireCompleteManifest(
  store: ObjectStore,
  key: string,
  corrupt: CorruptErrorFactory,
): Promise<Manifest> {
  const manifest = await readManifest(store, key, corrupt);
  if (manifest !== undefined) return manifest;
  const leftovers = await store.list(`${key}/`);
  throw new CheckpointNotFoundError(key, store.location, leftovers.length > 0);
}

/** Reads one listed file and checks it against the manifest; a missing or altered file is corrupt. */
export async function readListedFile(
  store: ObjectStore,
  prefix: string,
  manifest: Manifest,
  name: string,
  corrupt: CorruptErrorFactory,
): Promise<Uint8Array> {
  const key = fileKey(prefix, name);
  const entry = Object.hasOwn(manifest.files, name) ? manifest.files[name] : undefined;
  if (entry === undefined) throw corrupt(key, `the manifest does not list "${name}"`);
  let bytes: Uint8Array;
  try {
    bytes = await store.getObject(key);
  } catch (error) {
    if (error instanceof ObjectNotFoundError) {
      throw corrupt(key, 'listed in the manifest but missing from the store');
    }
    throw error;
  }
  const mismatch = entryMismatch(bytes, entry);
  if (mismatch !== undefined) throw corrupt(key, mismatch);
  return bytes;
}

/**
 * Writes `files` under `prefix`, then the manifest last. Rewriting identical content (a retried
 * activity) just rewrites the same bytes. When the content differs, the old manifest is deleted FIRST,
 * so while the data is replaced readers see "absent" rather than a mix of old and new; files only the
 * old manifest listed are deleted at the end. The newest write is authoritative.
 */
export async function writeManifestedFiles(
  store: ObjectStore,
  prefix: string,
  kind: string,
  files: Readonly<Record<string, Uint8Array>>,
  attributes: Record<string, unknown> | Promise<Record<string, unknown>>,
): Promise<{ manifest: Manifest; bytes: number; digest: string }> {
  const names = Object.keys(files);
  names.forEach(assertObjectKey);
  const entries = Object.fromEntries(names.map((name) => [name, describeBytes(files[name] as Uint8Array)]));
  const manifestKey = fileKey(prefix, manifestFileName);

  // Attributes may still be being computed (a checkpoint's validation loss) while the files upload. A
  // failure of theirs is observed from now on, so it never goes unhandled; the await below rethrows it.
  const ready = Promise.resolve(attributes);
  ready.catch(() => undefined);

  const previousBytes = await readManifestBytes(store, prefix);
  let previousNames: string[] = [];
  if (previousBytes !== undefined) {
    let previousFiles: Manifest['files'] | undefined;
    try {
      previousFiles = parseManifest(previousBytes).files;
      previousNames = Object.keys(previousFiles);
    } catch {
      // An unreadable old manifest lists nothing we could clean up; it is replaced below.
    }
    // Only a change of files needs the old manifest gone first; the same files under new attributes
    // are replaced by the one manifest write below (a reader sees the old or the new, both whole).
    if (previousFiles === undefined || !sameFiles(previousFiles, entries)) await store.delete([manifestKey]);
  }

  await mapWithConcurrency(names, transferConcurrency, (name) =>
    store.putObject(fileKey(prefix, name), files[name] as Uint8Array),
  );
  const manifest: Manifest = {
    format: 'amto-manifest',
    version: 1,
    kind,
    files: entries,
    attributes: await ready,
  };
  const manifestBytes = encodeManifest(manifest);
  await store.putObject(manifestKey, manifestBytes);

  const stale = previousNames
    .filter((name) => !Object.hasOwn(files, name))
    .map((name) => fileKey(prefix, name));
  if (stale.length > 0) await store.delete(stale);

  const bytes = names.reduce(
    (sum, name) => sum + (files[name] as Uint8Array).byteLength,
    manifestBytes.length,
  );
  return { manifest, bytes, digest: sha256Hex(manifestBytes) };
}

function sameFiles(a: Manifest['files'], b: Manifest['files']): boolean {
  const names = Object.keys(a);
  return (
    names.length === Object.keys(b).length &&
    names.every(
      (name) =>
        Object.hasOwn(b, name) && a[name]?.sha256 === b[name]?.sha256 && a[name]?.size === b[name]?.size,
    )
  );
}

/** The sha256 of the manifest under `prefix` (what names one exact version of a unit), or undefined. */
export async function manifestDigest(store: ObjectStore, prefix: string): Promise<string | undefined> {
  const bytes = await readManifestBytes(store, prefix);
  return bytes === undefined ? undefined : sha256Hex(bytes);
}
