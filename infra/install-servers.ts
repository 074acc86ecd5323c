import { loadEnvironment } from './environment';
import { ensureServerBinary, InstallError, type PinnedBinaryName } from './server-binaries';

function run(): void {
  const { cacheDir } = loadEnvironment();
  const started = Date.now();
  for (const name of ['temporal', 'minio', 'mc'] as PinnedBinaryName[]) {
    console.log(`[setup] ${name}: ${ensureServerBinary(name, cacheDir)}`);
  }
  console.log(`[setup] server binaries ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

try {
  run();
} catch (error) {
  console.error(error instanceof InstallError ? `[setup] ${error.message}` : error);
  process.exit(1);
}
