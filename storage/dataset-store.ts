import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';

import { mapWithConcurrency } from './concurrency';
import { CorruptObjectError, DatasetError, InvalidKeyError, ObjectNotFoundError } from './errors';
import { assertObjectKey, datasetPrefix } from './keys';
import {
  encodeManifest,
  entryMismatch,
  fileKey,
  manifestFileName,
  parseManifest,
  readListedFile,
  sha256Hex,
  transferConcurrency,
} from './manifest';
import type { Manifest } from './manifest';
import type { ObjectStore } from './object-store';
import { keyInStore, objectUrl } from './object-url';
import { errorCode } from './retry';

/**
 * Datasets in the bucket: `datasets/<name>/files/<relative path>` plus `datasets/<name>/manifest.json`
 * (every file's sha256 and size, written last). Workers materialize a dataset into a local cache
 * directory named by the manifest's own hash, so a changed dataset never reuses a stale copy.
 */
export type DatasetKind = 'image-folder' | 'fashion-mnist';

const datasetManifestKind = 'dataset';
/** Where the Debian package `dataset-fashion-mnist` installs the files. */
export const debianFashionMnistDir = '/usr/share/datasets/fashion-mnist';
export const fashionMnistFileNames = [
  'train-images-idx3-ubyte.gz',
  'train-labels-idx1-ubyte.gz',
  't10k-images-idx3-ubyte.gz',
  't10k-labels-idx1-ubyte.gz',
] as const;
/** The manifest copy inside a materialized directory; hidden, so folder scanners skip it. */
export const materializedManifestFileName = '.amto-manifest.json';

export interface UploadedDataset {
  name: string;
  url: string;
  kind: DatasetKind;
  files: number;
  bytes: number;
  manifestSha256: string;
  /** True when the bucket already held exactly this content and nothing was uploaded. */
  unchanged: boolean;
}

/** `s3://<bucket>/datasets/<name>`: what a run config names as its dataset. */
export function datasetUrl(store: Pick<ObjectStore, 'bucket'>, name: string): string {
  return objectUrl(store, datasetPrefix(name).slice(0, -1));
}

/** Uploads a class-per-subfolder image folder (UCMerced, RSSCN7, ... layout); hidden files are skipped. */
export async function uploadImageFolder(
  store: ObjectStore,
  folder: string,
  name: string,
): Promise<UploadedDataset> {
  const root = resolve(folder);
  await requireDirectory(root, 'image folder');
  const files = await listFilesBelow(root);
  if (files.length === 0) throw new DatasetError(`image folder ${root} holds no files to upload`);
  return uploadDatasetFiles(store, name, 'image-folder', root, files);
}

/** Uploads the four Fashion-MNIST .gz files (default: from the Debian package's directory). */
export async function uploadFashionMnist(
  store: ObjectStore,
  sourceDir: string = debianFashionMnistDir,
  name = 'fashion-mnist',
): Promise<UploadedDataset> {
  const root = resolve(sourceDir);
  const missing: string[] = [];
  for (const file of fashionMnistFileNames) {
    if (!(await isFile(join(root, file)))) missing.push(file);
  }
  if (missing.length > 0) {
    throw new DatasetError(
      `Fashion-MNIST files missing from ${root}: ${missing.join(', ')}. ` +
        'Install the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist) or pass the folder holding them',
    );
  }
  return uploadDatasetFiles(store, name, 'fashion-mnist', root, [...fashionMnistFileNames]);
}

/**
 * Downloads `s3://<bucket>/datasets/<name>` into `<cacheDir>/datasets/<name>-<manifest hash>/` and
 * returns that path. Reuses the directory when it is already complete; files are verified against the
 * manifest, written to a private staging directory and renamed into place at once, so concurrent
 * workers and crashes never leave a half-filled cache that looks complete.
 */
export async function materializeDataset(store: ObjectStore, url: string, cacheDir: string): Promise<string> {
  const key = keyInStore(store, url);
  const name = /^datasets\/([^/]+)$/.exec(key)?.[1];
  if (name === undefined) {
    throw new InvalidKeyError(`"${url}" is not a dataset URL: expected s3://${store.bucket}/datasets/<name>`);
  }
  const prefix = datasetPrefix(name);
  const manifestKey = fileKey(prefix, manifestFileName);
  const corrupt = (objectKey: string, reason: string): CorruptObjectError =>
    new CorruptObjectError(objectKey, reason);
  const manifestBytes = await getIfPresent(store, manifestKey);
  if (manifestBytes === undefined) {
    throw new DatasetError(
      `dataset ${url} not found in ${store.location} (no ${manifestKey}; an upload may not have finished). ` +
        'Upload it first (uploadImageFolder / uploadFashionMnist)',
    );
  }
  let manifest: Manifest;
  try {
    manifest = parseManifest(manifestBytes);
  } catch (error) {
    throw corrupt(manifestKey, (error as Error).message);
  }
  if (manifest.kind !== datasetManifestKind) {
    throw corrupt(manifestKey, `it describes a ${manifest.kind}, not a dataset`);
  }
  const digest = sha256Hex(manifestBytes);
  const target = join(resolve(cacheDir), 'datasets', `${name}-${digest.slice(0, 16)}`);
  if (await isFile(join(target, materializedManifestFileName))) return target;

  const staging = `${target}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await mkdir(staging, { recursive: true });
    await mapWithConcurrency(Object.keys(manifest.files), transferConcurrency, async (file) => {
      const bytes = await readListedFile(store, `${prefix}files/`, manifest, file, corrupt);
      const path = join(staging, ...file.split('/'));
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, bytes);
    });
    await writeFile(join(staging, materializedManifestFileName), manifestBytes);
    try {
      await rename(staging, target);
    } catch (error) {
      // Another worker finished the same content first: use its copy.
      if (!['EEXIST', 'ENOTEMPTY'].includes(errorCode(error))) throw error;
    }
    return target;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function uploadDatasetFiles(
  store: ObjectStore,
  name: string,
  kind: DatasetKind,
  root: string,
  files: string[],
): Promise<UploadedDataset> {
  const prefix = datasetPrefix(name);
  files.forEach(assertObjectKey);
  // Hash first (streaming) so an unchanged dataset is recognised without uploading anything.
  const entries = await mapWithConcurrency(files, transferConcurrency, async (file) => {
    const path = join(root, ...file.split('/'));
    return [file, { sha256: await sha256OfFile(path), size: (await stat(path)).size }] as const;
  });
  const manifest: Manifest = {
    format: 'amto-manifest',
    version: 1,
    kind: datasetManifestKind,
    files: Object.fromEntries(entries),
    attributes: { name, kind },
  };
  const manifestBytes = encodeManifest(manifest);
  const manifestKey = fileKey(prefix, manifestFileName);
  const result: UploadedDataset = {
    name,
    url: datasetUrl(store, name),
    kind,
    files: files.length,
    bytes: entries.reduce((sum, [, entry]) => sum + entry.size, 0),
    manifestSha256: sha256Hex(manifestBytes),
    unchanged: false,
  };

  const existing = await getIfPresent(store, manifestKey);
  if (existing !== undefined && Buffer.from(existing).equals(manifestBytes)) {
    return { ...result, unchanged: true };
  }
  // Replacing different content: drop the old manifest first so no reader mixes old and new files.
  if (existing !== undefined) await store.delete([manifestKey]);
  await mapWithConcurrency(entries, transferConcurrency, async ([file, entry]) => {
    const bytes = await readFile(join(root, ...file.split('/')));
    const changed = entryMismatch(bytes, entry);
    if (changed !== undefined) {
      throw new DatasetError(`${join(root, file)} changed while uploading (${changed}); upload again`);
    }
    await store.putObject(`${prefix}files/${file}`, bytes);
  });
  await store.putObject(manifestKey, manifestBytes);
  return result;
}

async function requireDirectory(path: string, what: string): Promise<void> {
  try {
    if ((await stat(path)).isDirectory()) return;
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
    throw new DatasetError(`${what} ${path} does not exist`);
  }
  throw new DatasetError(`${what} ${path} is not a directory`);
}

/** Regular files below `root` as "/"-separated relative paths, sorted; hidden entries are skipped. */
async function listFilesBelow(root: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) found.push(relative(root, path).split(sep).join('/'));
    }
  };
  await walk(root);
  return found.sort();
}

async function getIfPresent(store: ObjectStore, key: string): Promise<Uint8Array | undefined> {
  try {
    return await store.getObject(key);
  } catch (error) {
    if (error instanceof ObjectNotFoundError) return undefined;
    throw error;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
