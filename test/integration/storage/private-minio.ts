import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
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

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
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

  /**
   * Ports are picked free and only then bound by MinIO, so another process can take one in between; a
   * MinIO whose port is taken exits, and a few fresh pairs are tried before giving up.
   */
  static async create(): Promise<PrivateMinio> {
    const binary = ensureServerBinary('minio', loadEnvironment().cacheDir, () => undefined);
    const dataDir = await mkdtemp(join(tmpdir(), 'amto-private-minio-'));
    const credentials = {
      accessKey: `test-${randomBytes(4).toString('hex')}`,
      secretKey: `secret-${randomBytes(12).toString('hex')}`,
    };
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      let consolePort = await freePort();
      while (consolePort === port) consolePort = await freePort();
      const settings: MinioStoreSettings = {
        endPoint: '127.0.0.1',
        port,
        useSSL: false,
        ...credentials,
        bucket: uniqueBucketName(),
        region: 'us-east-1',
      };
      const server = new PrivateMinio(binary, dataDir, port, consolePort, settings);
      try {
        await server.start();
        return server;
      } catch (error) {
        await server.kill();
        if (attempt === 3) throw error;
      }
    }
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
      // Its console listens a moment after the S3 port; a console port taken meanwhile makes it exit.
      if (live && (await listening(this.consolePort)) && this.child.exitCode === null) return;
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
