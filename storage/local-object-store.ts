import { randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';

import { errorCode } from './retry';
import { ObjectNotFoundError, StorageError } from './errors';
import { assertFolderPrefix, assertObjectKey, assertPrefix, reservedLocalTempDir } from './keys';
import type { ObjectStore, StoredObjectInfo } from './object-store';

export interface LocalObjectStoreOptions {
  /** The bucket name s3:// URLs use for this store (default "local"). */
  bucket?: string;
}

/**
 * An object store in a local directory, for single-machine runs without MinIO. Writes go to a temp
 * file under `<root>/.amto-tmp/` (same filesystem), are fsynced, then renamed into place, so a reader
 * or a crash never sees a half-written object.
 */
export class LocalObjectStore implements ObjectStore {
  readonly rootDir: string;
  readonly bucket: string;
  readonly location: string;

  constructor(rootDir: string, options: LocalObjectStoreOptions = {}) {
    if (rootDir.trim() === '') throw new StorageError('local object store: the directory path is empty');
    this.rootDir = resolve(rootDir);
    this.bucket = options.bucket ?? 'local';
    this.location = `local directory ${this.rootDir}`;
  }

  async putObject(key: string, bytes: Uint8Array): Promise<void> {
    const target = this.pathOf(key);
    const tempDir = join(this.rootDir, reservedLocalTempDir);
    const tempFile = join(tempDir, `${process.pid}-${randomBytes(8).toString('hex')}`);
    try {
      await mkdir(tempDir, { recursive: true });
      const handle = await open(tempFile, 'w');
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await this.moveIntoPlace(tempFile, target);
    } catch (error) {
      await unlink(tempFile).catch(() => undefined);
      throw this.wrap(error, `write "${key}"`);
    }
  }

  /** A concurrent delete may prune the target's (still empty) folder between mkdir and rename: redo both. */
  private async moveIntoPlace(tempFile: string, target: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      await mkdir(dirname(target), { recursive: true });
      try {
        await rename(tempFile, target);
        return;
      } catch (error) {
        if (errorCode(error) !== 'ENOENT' || attempt >= 3) throw error;
      }
    }
  }

  async getObject(key: string): Promise<Uint8Array> {
    const path = this.pathOf(key);
    try {
      return await readFile(path);
    } catch (error) {
      if (isMissing(error)) throw new ObjectNotFoundError(key, this.location);
      throw this.wrap(error, `read "${key}"`);
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(key))).isFile();
    } catch (error) {
      if (isMissing(error)) return false;
      throw this.wrap(error, `check "${key}"`);
    }
  }

  async list(prefix: string): Promise<StoredObjectInfo[]> {
    assertPrefix(prefix);
    // Only the directory the prefix points into can hold matching keys.
    const baseKey = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/') + 1) : '';
    const found: StoredObjectInfo[] = [];
    await this.walk(baseKey, async (key, path) => {
      if (!key.startsWith(prefix)) return;
      const info = await stat(path);
      found.push({ key, size: info.size, lastModified: info.mtime });
    });
    return found.sort((a, b) => compareKeys(a.key, b.key));
  }

  async listPrefixes(prefix: string): Promise<string[]> {
    assertFolderPrefix(prefix);
    const entries = await this.readDir(prefix);
    const prefixes: string[] = [];
    for (const entry of entries) {
      if (!entry.isDirectory() || (prefix === '' && entry.name === reservedLocalTempDir)) continue;
      const child = `${prefix}${entry.name}/`;
      // Like S3, a "folder" exists only while some object lives under it.
      if (await this.containsFile(child)) prefixes.push(child);
    }
    return prefixes.sort(compareKeys);
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      const path = this.pathOf(key);
      try {
        await unlink(path);
      } catch (error) {
        if (!isMissing(error)) throw this.wrap(error, `delete "${key}"`);
      }
      await this.removeEmptyParents(dirname(path));
    }
  }

  private pathOf(key: string): string {
    assertObjectKey(key);
    return join(this.rootDir, ...key.split('/'));
  }

  private async readDir(dirKey: string): Promise<Dirent[]> {
    try {
      return await readdir(join(this.rootDir, ...dirKey.split('/').filter((s) => s !== '')), {
        withFileTypes: true,
      });
    } catch (error) {
      if (isMissing(error)) return [];
      throw this.wrap(error, `list "${dirKey}"`);
    }
  }

  /** Calls `visit` for every file below the folder `dirKey` ('' or ending in "/"). */
  private async walk(dirKey: string, visit: (key: string, path: string) => Promise<void>): Promise<void> {
    for (const entry of await this.readDir(dirKey)) {
      if (dirKey === '' && entry.name === reservedLocalTempDir) continue;
      const key = `${dirKey}${entry.name}`;
      if (entry.isDirectory()) await this.walk(`${key}/`, visit);
      else if (entry.isFile()) await visit(key, join(this.rootDir, ...key.split('/')));
    }
  }

  private async containsFile(dirKey: string): Promise<boolean> {
    for (const entry of await this.readDir(dirKey)) {
      if (entry.isFile()) return true;
      if (entry.isDirectory() && (await this.containsFile(`${dirKey}${entry.name}/`))) return true;
    }
    return false;
  }

  /** Drops directories a delete left empty, so listings match S3 (which has no empty folders). */
  private async removeEmptyParents(dir: string): Promise<void> {
    let current = dir;
    while (current.startsWith(this.rootDir + sep)) {
      try {
        await rmdir(current);
      } catch {
        return; // not empty (or already gone / raced with a writer): stop climbing
      }
      current = dirname(current);
    }
  }

  private wrap(error: unknown, action: string): StorageError {
    const reason = error instanceof Error ? error.message : String(error);
    return new StorageError(`could not ${action} in ${this.location}: ${reason}`, { cause: error });
  }
}

function isMissing(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Byte-wise order, the order S3 lists keys in. */
function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
