import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadEnvironment } from '../../infra/environment';
import { ensureServerBinary } from '../../infra/server-binaries';
import type { CertificateFiles } from './security-certificates';
import { freePort } from './storage/private-minio';

/**
 * A MinIO of the test's own serving https only, with a certificate from the test's CA (`--certs-dir`
 * holds public.crt and private.key, as MinIO expects), random root credentials, and MinIO's own client
 * `mc` (built by infra/setup.sh) for its admin API: buckets, policies, users.
 */
export class TlsMinio {
  private constructor(
    private readonly child: ChildProcess,
    readonly endpoint: string,
    readonly root: { accessKey: string; secretKey: string },
    private readonly mcConfigDir: string,
    private readonly mc: string,
  ) {}

  static async start(dir: string, server: CertificateFiles, ca: string): Promise<TlsMinio> {
    const { cacheDir } = loadEnvironment();
    const minio = ensureServerBinary('minio', cacheDir, () => undefined);
    const mc = ensureServerBinary('mc', cacheDir, () => undefined);
    const certsDir = join(dir, 'minio-certs');
    mkdirSync(join(certsDir, 'CAs'), { recursive: true });
    copyFileSync(server.cert, join(certsDir, 'public.crt'));
    copyFileSync(server.key, join(certsDir, 'private.key'));
    const [port, consolePort] = [await freePort(), await freePort()];
    const root = {
      accessKey: `root-${randomBytes(4).toString('hex')}`,
      secretKey: randomBytes(18).toString('hex'),
    };
    const child = spawn(
      minio,
      ['server', join(dir, 'minio-data'), '--address', `127.0.0.1:${port}`, '--console-address'].concat([
        `127.0.0.1:${consolePort}`,
        '--certs-dir',
        certsDir,
        '--quiet',
      ]),
      {
        env: { ...process.env, MINIO_ROOT_USER: root.accessKey, MINIO_ROOT_PASSWORD: root.secretKey },
        stdio: 'ignore',
      },
    );
    const endpoint = `https://127.0.0.1:${port}`;
    const caPem = readFileSync(ca, 'utf8');
    const deadline = Date.now() + 30_000;
    while (!(await healthy(endpoint, caPem))) {
      if (child.exitCode !== null) throw new Error(`MinIO over TLS exited with code ${child.exitCode}`);
      if (Date.now() > deadline) throw new Error(`MinIO over TLS did not become healthy at ${endpoint}`);
      await sleep(200);
    }
    // mc trusts the CAs in <config dir>/certs/CAs.
    const mcConfigDir = join(dir, 'mc');
    mkdirSync(join(mcConfigDir, 'certs', 'CAs'), { recursive: true });
    copyFileSync(ca, join(mcConfigDir, 'certs', 'CAs', 'test-ca.pem'));
    const server_ = new TlsMinio(child, endpoint, root, mcConfigDir, mc);
    // Keys on stdin, never on a command line (where every user's `ps` sees them).
    await server_.admin(['alias', 'set', 'test', endpoint], `${root.accessKey}\n${root.secretKey}\n`);
    return server_;
  }

  /** `mc --config-dir … <args>` with `input` on stdin; mc's output is returned, never printed (it may echo a key). */
  async admin(args: string[], input = ''): Promise<string> {
    const child = spawn(this.mc, ['--config-dir', this.mcConfigDir, '--no-color', ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: 30_000,
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stdin.end(input);
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    // The command line holds no secret, so naming it is safe; the output may hold one and stays out.
    if (code !== 0) throw new Error(`mc ${args.slice(0, 3).join(' ')} … exited with code ${String(code)}`);
    return output;
  }

  async createBucket(bucket: string): Promise<void> {
    await this.admin(['mb', `test/${bucket}`]);
  }

  /** An IAM policy from its JSON document, then a user with that policy only. */
  async createUser(name: string, policy: object): Promise<{ accessKey: string; secretKey: string }> {
    const policyFile = join(this.mcConfigDir, `${name}-policy.json`);
    writeFileSync(policyFile, JSON.stringify(policy));
    await this.admin(['admin', 'policy', 'create', 'test', `${name}-policy`, policyFile]);
    const user = { accessKey: name, secretKey: randomBytes(18).toString('hex') };
    await this.admin(['admin', 'user', 'add', 'test', user.accessKey], `${user.secretKey}\n`);
    await this.admin(['admin', 'policy', 'attach', 'test', `${name}-policy`, '--user', user.accessKey]);
    return user;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    // Its data directory is deleted next: no need to wait for a graceful shutdown.
    this.child.kill('SIGKILL');
    await exited;
  }
}

function healthy(endpoint: string, ca: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(`${endpoint}/minio/health/live`, { ca, timeout: 1000 }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    req.once('error', () => resolve(false));
    req.once('timeout', () => req.destroy());
    req.end();
  });
}
