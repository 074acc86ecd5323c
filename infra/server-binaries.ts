import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * Pinned server versions. Temporal CLI tags after v1.5.1 carry a replace directive that `go install`
 * refuses; MinIO publishes no semver tags, so it is pinned to one commit (pseudo-version).
 */
export const pinnedServers = {
  temporal: { binary: 'temporal', module: 'github.com/temporalio/cli/cmd/temporal', version: 'v1.5.1' },
  minio: {
    binary: 'minio',
    module: 'github.com/minio/minio',
    version: 'v0.0.0-20260212201848-7aac2a2c5b7c',
  },
} as const;

export type ServerName = keyof typeof pinnedServers;

/**
 * MinIO's client, for its admin API (users, policies: the security tests and docs/security.md). Pinned to
 * the commit MinIO's own pinned go.mod requires, so its modules are mostly in Go's cache already.
 */
export const pinnedTools = {
  mc: { binary: 'mc', module: 'github.com/minio/mc', version: 'v0.0.0-20250313080218-cf909e1063a9' },
} as const;

export type PinnedBinaryName = ServerName | keyof typeof pinnedTools;

const pinnedBinaries = { ...pinnedServers, ...pinnedTools };

export class InstallError extends Error {
  override name = 'InstallError';
}

export function binDir(cacheDir: string): string {
  return join(cacheDir, 'bin');
}

function findOnPath(binary: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, binary);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

function goAvailable(): boolean {
  return spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Returns the path of a server binary: the project's cached build first (its version is the pinned one),
 * then one already on PATH, else builds the pinned version with `go install` into the cache.
 */
export function ensureServerBinary(
  name: PinnedBinaryName,
  cacheDir: string,
  log: (line: string) => void = (line) => console.log(line),
): string {
  const { binary, module, version } = pinnedBinaries[name];
  const cached = join(binDir(cacheDir), binary);
  if (existsSync(cached)) return cached;
  // Not for mc: on Debian that name on PATH is often Midnight Commander.
  const onPath = name === 'mc' ? null : findOnPath(binary);
  if (onPath !== null) {
    log(`[infra] using ${binary} from PATH: ${onPath}`);
    return onPath;
  }
  if (!goAvailable()) {
    throw new InstallError(
      `Neither a "${binary}" binary on PATH nor the Go toolchain is available. ` +
        `Install Go (https://go.dev/doc/install, or 'apt-get install golang') and re-run, ` +
        `or put ${binary} on PATH.`,
    );
  }
  mkdirSync(binDir(cacheDir), { recursive: true });
  log(`[infra] building ${module}@${version} with go install into ${binDir(cacheDir)} (first time only)...`);
  const started = Date.now();
  try {
    execFileSync('go', ['install', `${module}@${version}`], {
      env: { ...process.env, GOBIN: binDir(cacheDir), GOFLAGS: '-buildvcs=false' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  } catch (error) {
    throw new InstallError(`go install ${module}@${version} failed: ${(error as Error).message}`);
  }
  log(`[infra] built ${binary} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return cached;
}
