import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import type { Environment } from './environment';
import { EnvironmentError } from './environment-error';
import { ensureServerBinary, type ServerName } from './server-binaries';

/** The custom search attributes the workflow upserts each round (registered at dev-server start). */
export const amtoSearchAttributes = {
  AmtoRound: 'Int',
  AmtoBestValLoss: 'Double',
  AmtoArch: 'Keyword',
  AmtoDataset: 'Keyword',
  AmtoRetrying: 'Bool',
} as const;

export interface ServerState {
  name: ServerName;
  healthy: boolean;
  /** Whether a pid file of ours names a live process (so `stop` would stop it). */
  startedByUs: boolean;
  pid: number | null;
  endpoints: string[];
}

interface ServerPlan {
  name: ServerName;
  endpoints: string[];
  args(binary: string): string[];
  env: NodeJS.ProcessEnv;
  isHealthy(): Promise<boolean>;
}

function hostPort(address: string): { host: string; port: number } {
  const match = /^(.*):(\d+)$/.exec(address);
  if (!match) throw new Error(`TEMPORAL_ADDRESS must be host:port (got "${address}")`);
  return { host: match[1] as string, port: Number(match[2]) };
}

function tcpOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function httpOk(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return response.ok;
  } catch {
    return false;
  }
}

function plans(environment: Environment): ServerPlan[] {
  const temporal = hostPort(environment.temporal.address);
  const uiPort = Number(new URL(environment.temporal.uiUrl).port || 8233);
  const { minio } = environment;
  const minioBase = `http://${minio.endPoint}:${minio.port}`;
  const dataDir = join(environment.cacheDir, 'data');
  return [
    {
      name: 'temporal',
      endpoints: [environment.temporal.address, environment.temporal.uiUrl],
      args: () => [
        'server',
        'start-dev',
        '--ip',
        temporal.host,
        '--port',
        String(temporal.port),
        '--ui-port',
        String(uiPort),
        '--db-filename',
        join(dataDir, 'temporal.sqlite'),
        '--namespace',
        environment.temporal.namespace,
        '--log-level',
        'warn',
        ...Object.entries(amtoSearchAttributes).flatMap(([key, type]) => [
          '--search-attribute',
          `${key}=${type}`,
        ]),
      ],
      env: process.env,
      isHealthy: async () =>
        (await tcpOpen(temporal.host, temporal.port)) && (await httpOk(environment.temporal.uiUrl)),
    },
    {
      name: 'minio',
      endpoints: [minioBase, `http://${minio.endPoint}:${minio.port + 1}`],
      args: () => [
        'server',
        join(dataDir, 'minio'),
        '--address',
        `${minio.endPoint}:${minio.port}`,
        '--console-address',
        `${minio.endPoint}:${minio.port + 1}`,
        '--quiet',
      ],
      // The server's root credentials are the ones clients use locally; passed through the environment only.
      env: { ...process.env, MINIO_ROOT_USER: minio.accessKey, MINIO_ROOT_PASSWORD: minio.secretKey },
      isHealthy: () => httpOk(`${minioBase}/minio/health/live`),
    },
  ];
}

function runDir(environment: Environment): string {
  return join(environment.cacheDir, 'run');
}

function pidFile(environment: Environment, name: ServerName): string {
  return join(runDir(environment), `${name}.pid`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function ourPid(environment: Environment, name: ServerName): number | null {
  const file = pidFile(environment, name);
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && processAlive(pid) ? pid : null;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

export async function serverStatus(environment: Environment): Promise<ServerState[]> {
  return Promise.all(
    plans(environment).map(async (plan) => {
      const pid = ourPid(environment, plan.name);
      return {
        name: plan.name,
        healthy: await plan.isHealthy(),
        startedByUs: pid !== null,
        pid,
        endpoints: plan.endpoints,
      };
    }),
  );
}

/**
 * The servers amto starts are plaintext dev servers on this machine. TLS settings describe servers of the
 * user's own: starting plaintext ones under them would only fail later, at every connection's handshake.
 */
function refuseTlsSettings(environment: Environment): void {
  const asked: string[] = [];
  if (environment.temporal.tls !== false)
    asked.push(`Temporal over TLS (from ${environment.temporal.source})`);
  if (environment.minio.useSSL) asked.push('MinIO over https (MINIO_ENDPOINT)');
  if (asked.length > 0) {
    throw new EnvironmentError(
      `amto starts plaintext Temporal and MinIO dev servers on this machine, but the settings ask for ` +
        `${asked.join(' and ')}: those name servers of your own, which amto does not start. Unset them ` +
        '(TEMPORAL_TLS*, TEMPORAL_PROFILE, an http:// MINIO_ENDPOINT) to use local dev servers, or start ' +
        'workers and runs against your servers without `amto infra up`.',
    );
  }
}

/**
 * Starts whichever server is not already answering and waits until it is healthy. Servers that already
 * run (ours from an earlier start, or someone else's) are reused. Returns the names it started.
 */
export async function startServers(
  environment: Environment,
  log: (line: string) => void = (line) => console.log(line),
): Promise<ServerName[]> {
  refuseTlsSettings(environment);
  mkdirSync(runDir(environment), { recursive: true });
  mkdirSync(join(environment.cacheDir, 'data', 'minio'), { recursive: true });
  mkdirSync(join(environment.cacheDir, 'logs'), { recursive: true });
  const started: ServerName[] = [];
  for (const plan of plans(environment)) {
    if (await plan.isHealthy()) {
      log(`[infra] ${plan.name} already running at ${plan.endpoints.join(', ')}: reusing it`);
      continue;
    }
    const binary = ensureServerBinary(plan.name, environment.cacheDir, log);
    const logPath = join(environment.cacheDir, 'logs', `${plan.name}.log`);
    const logFd = openSync(logPath, 'a');
    const begun = Date.now();
    const child = spawn(binary, plan.args(binary), {
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: plan.env,
    });
    closeSync(logFd);
    const exited = new Promise<boolean>((resolve) => child.once('exit', () => resolve(false)));
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${binary}; see ${logPath}`);
    writeFileSync(pidFile(environment, plan.name), String(child.pid));
    const healthy = await Promise.race([waitFor(plan.isHealthy, 60_000), exited]);
    if (!healthy) {
      rmSync(pidFile(environment, plan.name), { force: true });
      throw new Error(
        `${plan.name} did not become healthy at ${plan.endpoints.join(', ')} within 60 s ` +
          `(is the port taken by another program?). Its log: ${logPath}`,
      );
    }
    log(
      `[infra] started ${plan.name} (pid ${child.pid}) in ${Date.now() - begun} ms at ${plan.endpoints.join(', ')}`,
    );
    started.push(plan.name);
  }
  return started;
}

/** Stops only servers this project started (named by its pid files); others are left running. */
export async function stopServers(
  environment: Environment,
  only: ServerName[] | null = null,
  log: (line: string) => void = (line) => console.log(line),
): Promise<ServerName[]> {
  const stopped: ServerName[] = [];
  for (const plan of plans(environment)) {
    if (only !== null && !only.includes(plan.name)) continue;
    const pid = ourPid(environment, plan.name);
    rmSync(pidFile(environment, plan.name), { force: true });
    if (pid === null) continue;
    process.kill(pid, 'SIGTERM');
    if (!(await waitFor(async () => !processAlive(pid), 15_000))) process.kill(pid, 'SIGKILL');
    log(`[infra] stopped ${plan.name} (pid ${pid})`);
    stopped.push(plan.name);
  }
  return stopped;
}
