import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { loadEnvironment } from '../../../infra/environment';
import { ensureServerBinary } from '../../../infra/server-binaries';
import type { MinioStoreSettings } from '../../../storage/minio-object-store';
import { uniqueBucketName } from './storage-fixtures';

/** A port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A MinIO server of the test's own (own port, own temp data dir, own random credentials) that the test
 * may kill, freeze and restart. The shared server on the configured endpoint is never touched.
 */
export class PrivateMinio {
  private child: ChildProcess | undefined;
  private constructor(
    readonly binary: string,
    readonly dataDir: string,
    readonly port: number,
    readonly consolePort: number,
    readonly settings: MinioStoreSettings,
  ) {}

  static async create(): Promise<PrivateMinio> {
    const binary = ensureServerBinary('minio', loadEnvironment().cacheDir, () => undefined);
    const dataDir = await mkdtemp(join(tmpdir(), 'amto-private-minio-'));
    const [port, consolePort] = [await freePort(), await freePort()];
    const settings: MinioStoreSettings = {
      endPoint: '127.0.0.1',
      port,
      useSSL: false,
      accessKey: `test-${randomBytes(4).toString('hex')}`,
      secretKey: `secret-${randomBytes(12).toString('hex')}`,
      bucket: uniqueBucketName(),
      region: 'us-east-1',
    };
    const server = new PrivateMinio(binary, dataDir, port, consolePort, settings);
    await server.start();
    return server;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.child = spawn(
      this.binary,
      [
        'server',
        this.dataDir,
        '--address',
        `127.0.0.1:${this.port}`,
        '--console-address',
        `127.0.0.1:${this.consolePort}`,
        '--quiet',
      ],
      {
        env: {
          ...process.env,
          MINIO_ROOT_USER: this.settings.accessKey,
          MINIO_ROOT_PASSWORD: this.settings.secretKey,
        },
        stdio: 'ignore',
      },
    );
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) {
        throw new Error(`private MinIO exited with code ${this.child.exitCode}`);
      }
      const live = await fetch(`${this.endpoint}/minio/health/live`, {
        signal: AbortSignal.timeout(1000),
      }).then(
        (response) => response.ok,
        () => false,
      );
      if (live) return;
      await sleep(200);
    }
    throw new Error(`private MinIO did not become healthy at ${this.endpoint} within 30 s`);
  }

  /** Kills the server at once (SIGKILL), as a crash would, and waits until it is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** Freezes (SIGSTOP) or thaws (SIGCONT) the server: connections open, but nothing answers. */
  signal(signal: 'SIGSTOP' | 'SIGCONT'): void {
    this.child?.kill(signal);
  }

  async dispose(): Promise<void> {
    this.signal('SIGCONT');
    await this.kill();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}
