/**
 * A Temporal dev server (SQLite file) and a MinIO of a test's own, started by the project's own infra
 * code on free ports with a private data directory and random credentials, so the test may SIGKILL,
 * SIGSTOP and restart them. The shared servers are never touched.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnvironment, type Environment } from '../../infra/environment';
import { serverStatus, startServers, stopServers } from '../../infra/servers';
import type { ServerName } from '../../infra/server-binaries';
import { freePort } from '../integration/storage/private-minio';

/** Whether nothing listens on 127.0.0.1:port right now. */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A free port whose next one is free too: MinIO's console takes the next port, and a MinIO whose console
 * port is taken answers its health check, then exits.
 */
async function freeMinioPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port < 65535 && (await isFree(port + 1))) return port;
  }
}

export class PrivateServers {
  private constructor(
    readonly env: NodeJS.ProcessEnv,
    readonly environment: Environment,
    private readonly dir: string,
  ) {}

  static async start(): Promise<PrivateServers> {
    const shared = loadEnvironment();
    const dir = mkdtempSync(join(tmpdir(), 'amto-fault-servers-'));
    // The server binaries are the shared ones; data, logs and pid files stay in the private directory.
    symlinkSync(join(shared.cacheDir, 'bin'), join(dir, 'bin'));
    const [temporalPort, uiPort, minioPort] = [await freePort(), await freePort(), await freeMinioPort()];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      AMTO_CACHE_DIR: dir,
      TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
      TEMPORAL_UI_URL: `http://127.0.0.1:${uiPort}`,
      // MinIO's console takes the next port.
      MINIO_ENDPOINT: `http://127.0.0.1:${minioPort}`,
      MINIO_ACCESS_KEY: `fault-${randomBytes(4).toString('hex')}`,
      MINIO_SECRET_KEY: randomBytes(16).toString('hex'),
      MINIO_BUCKET: 'amto-fault',
    };
    const servers = new PrivateServers(env, loadEnvironment(env), dir);
    await startServers(servers.environment, () => undefined);
    return servers;
  }

  private async pidOf(name: ServerName): Promise<number> {
    const state = (await serverStatus(this.environment)).find((server) => server.name === name);
    if (state?.pid === null || state?.pid === undefined) throw new Error(`private ${name} is not running`);
    return state.pid;
  }

  /** SIGKILL, as a crash or a preempted machine would; waits until the process is gone. */
  async kill(name: ServerName): Promise<void> {
    const pid = await this.pidOf(name);
    process.kill(pid, 'SIGKILL');
    for (;;) {
      try {
        process.kill(pid, 0);
      } catch {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Starts whatever is down again on the same data (Temporal's SQLite file, MinIO's directory). */
  async restart(): Promise<void> {
    await startServers(this.environment, () => undefined);
  }

  /** Freezes (SIGSTOP) or thaws (SIGCONT) a server: its sockets stay open, nothing answers. */
  async signal(name: ServerName, signal: 'SIGSTOP' | 'SIGCONT'): Promise<void> {
    process.kill(await this.pidOf(name), signal);
  }

  async stop(): Promise<void> {
    await this.signal('minio', 'SIGCONT').catch(() => undefined);
    await stopServers(this.environment, null, () => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
