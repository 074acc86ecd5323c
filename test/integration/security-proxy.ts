import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CertificateFiles } from './security-certificates';
import { freePort } from './storage/private-minio';

/**
 * HAProxy (Debian's package, installed by infra/setup.sh) terminating TLS in front of a plaintext
 * Temporal: it requires a client certificate issued by `clientCa` and speaks ALPN h2, which Temporal's
 * worker connection (tonic) insists on — the reason it is HAProxy and not stunnel, which offers no ALPN.
 */
export class TlsProxy {
  private constructor(
    private readonly child: ChildProcess,
    readonly address: string,
    private readonly logPath: string,
  ) {}

  static async start(options: {
    dir: string;
    backend: string;
    server: CertificateFiles;
    clientCa: string;
  }): Promise<TlsProxy> {
    // Debian puts it in /usr/sbin, which a non-login PATH may lack.
    const haproxy = ['haproxy', '/usr/sbin/haproxy'].find(
      (candidate) => spawnSync(candidate, ['-v'], { stdio: 'ignore' }).status === 0,
    );
    if (haproxy === undefined) {
      throw new Error("haproxy is not installed: run `bash infra/setup.sh` (it installs Debian's haproxy)");
    }
    const port = await freePort();
    const bundle = join(options.dir, 'proxy-server.pem');
    writeFileSync(
      bundle,
      readFileSync(options.server.cert, 'utf8') + readFileSync(options.server.key, 'utf8'),
    );
    const config = join(options.dir, 'haproxy.cfg');
    writeFileSync(
      config,
      [
        'global',
        '  log stderr format raw local0 info',
        'defaults',
        '  mode tcp',
        '  log global',
        '  option tcplog',
        '  timeout connect 5s',
        // Temporal's long polls last about a minute.
        '  timeout client 10m',
        '  timeout server 10m',
        'frontend temporal_tls',
        `  bind 127.0.0.1:${port} ssl crt ${bundle} ca-file ${options.clientCa} verify required alpn h2`,
        '  default_backend temporal',
        'backend temporal',
        `  server temporal ${options.backend}`,
        '',
      ].join('\n'),
    );
    const logPath = join(options.dir, 'haproxy.log');
    const child = spawn('sh', ['-c', `exec "${haproxy}" -f "${config}" -db >"${logPath}" 2>&1`], {
      stdio: 'ignore',
    });
    const address = `127.0.0.1:${port}`;
    const proxy = new TlsProxy(child, address, logPath);
    const deadline = Date.now() + 10_000;
    while (!(await tcpOpen(port))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`haproxy did not listen on ${address}: ${proxy.log()}`);
      }
      await sleep(100);
    }
    return proxy;
  }

  log(): string {
    try {
      return readFileSync(this.logPath, 'utf8');
    } catch {
      return '';
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
