import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';

/**
 * A short hash of a dataset source (a file or a folder tree): relative paths, sizes and modification
 * times, not contents, so it is cheap on large folders yet changes whenever a file is added, removed or
 * rewritten. Hidden files are ignored. Used in cache keys and recorded in run manifests.
 */
export async function datasetFingerprint(path: string): Promise<string> {
  const info = await stat(path).catch(() => {
    throw new Error(`Dataset not found: ${path} does not exist`);
  });
  const hash = createHash('sha256');
  if (info.isFile()) {
    hash.update(`${info.size}\t${info.mtimeMs}\n`);
  } else {
    for (const file of await listFiles(path)) {
      const fileInfo = await stat(file);
      hash.update(`${relative(path, file)}\t${fileInfo.size}\t${fileInfo.mtimeMs}\n`);
    }
  }
  return hash.digest('hex').slice(0, 16);
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) {
      continue;
    }
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      files.push(...(await listFiles(path)));
    } else if (entry.isFile()) {
      files.push(path);
    }
  }
  return files;
}
