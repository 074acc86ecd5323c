/**
 * Temporal behind a TLS-terminating proxy that requires client certificates (HAProxy in front of the
 * suite's dev server), reached the way a user configures it: the SDK's TEMPORAL_TLS_* variables for a
 * worker, a TOML profile for the `amto` CLI. The right certificate gets a run started and its progress
 * answered by the worker; no certificate, a certificate of another CA, plaintext, or an untrusted server
 * each fail within seconds with a message naming the address and what to set — never the key or API key.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { spawnWorkerProcess, waitUntilPolling, type WorkerProcess } from '../../cli/worker-processes';
import { loadEnvironment } from '../../infra/environment';
import {
  connectTemporalClient,
  connectTemporalWorker,
  TemporalConnectionError,
} from '../../workers/temporal-connection';
import { createCertificateAuthority, issueCertificate, type CertificateFiles } from './security-certificates';
import { TlsProxy } from './security-proxy';
import { cliEntry } from '../cli/cli-process';
import { runAmto, writeUntrainedRunConfig } from './security-fixtures';

const environment = loadEnvironment();
/** A refusal comes within seconds: the client waits 5 s for a server, the diagnosis at most 3 s more. */
const refusalDeadlineMs = 15_000;

/** This process's environment without any Temporal connection setting, plus `settings`. */
function envWith(settings: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('TEMPORAL_')),
  );
  return { ...base, TEMPORAL_UI_URL: environment.temporal.uiUrl, ...settings };
}

// The cases are independent and mostly wait (a refused client gives up after 5 s): run them side by side.
describe('Temporal over mTLS through a TLS-terminating proxy', { concurrency: true }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'amto-security-temporal-'));
  const queue = `security-${randomUUID()}`;
  const runId = `security-${randomUUID().slice(0, 8)}`;
  const apiKey = `api-key-${randomBytes(12).toString('hex')}`;
  let proxy: TlsProxy;
  let ca: CertificateFiles;
  let client: CertificateFiles;
  let strangerClient: CertificateFiles;
  let worker: WorkerProcess | undefined;
  const secrets: string[] = [apiKey];
  const profilePath = join(dir, 'temporal.toml');

  const mtlsVariables = (): Record<string, string> => ({
    TEMPORAL_ADDRESS: proxy.address,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca.cert,
    TEMPORAL_TLS_CLIENT_CERT_PATH: client.cert,
    TEMPORAL_TLS_CLIENT_KEY_PATH: client.key,
    TEMPORAL_API_KEY: apiKey,
  });

  function assertNoSecret(text: string): void {
    for (const secret of secrets) assert.ok(!text.includes(secret), 'a secret was printed');
  }

  function assertRefusalMessage(text: string, expected: RegExp): void {
    assert.match(text, new RegExp(`cannot connect to Temporal at ${proxy.address.replace(/\./g, '\\.')}`));
    assert.match(text, expected);
    assertNoSecret(text);
  }

  /**
   * The client and the worker connection each give up within seconds (timed in this process, where a busy
   * machine's process start-up does not count); then the CLI, or a worker process, as a user runs it ends
   * with the same message.
   */
  async function assertRefused(
    settings: Record<string, string>,
    expected: RegExp,
    cli: string[],
  ): Promise<void> {
    const temporal = loadEnvironment(envWith(settings)).temporal;
    for (const [kind, connect] of [
      ['client', connectTemporalClient],
      ['worker', connectTemporalWorker],
    ] as const) {
      const started = Date.now();
      const error = await connect(temporal).then(
        async (connection) => {
          await connection.close();
          return null;
        },
        (failure: unknown) => failure,
      );
      const elapsedMs = Date.now() - started;
      assert.ok(
        error instanceof TemporalConnectionError,
        `the ${kind} connection was not refused: ${String(error)}`,
      );
      assert.ok(
        elapsedMs < refusalDeadlineMs,
        `the ${kind} connection was refused only after ${elapsedMs} ms`,
      );
      assertRefusalMessage(error.message, expected);
    }
    const result = await runAmto(cli, envWith(settings));
    assert.notEqual(result.code, 0, result.output);
    assertRefusalMessage(result.output, expected);
  }

  before(async () => {
    ca = createCertificateAuthority(dir, 'amto-test-ca');
    const server = issueCertificate(dir, ca, 'temporal-proxy', 'server');
    client = issueCertificate(dir, ca, 'amto-worker', 'client');
    const strangerCa = createCertificateAuthority(dir, 'stranger-ca');
    strangerClient = issueCertificate(dir, strangerCa, 'stranger', 'client');
    secrets.push(
      readFileSync(client.key, 'utf8').split('\n')[1] ?? '',
      readFileSync(strangerClient.key, 'utf8').split('\n')[1] ?? '',
    );
    proxy = await TlsProxy.start({ dir, backend: environment.temporal.address, server, clientCa: ca.cert });
    writeFileSync(
      profilePath,
      [
        '[profile.secure]',
        `address = "${proxy.address}"`,
        `namespace = "${environment.temporal.namespace}"`,
        `api_key = "${apiKey}"`,
        '[profile.secure.tls]',
        `server_ca_cert_path = "${ca.cert}"`,
        `client_cert_path = "${client.cert}"`,
        `client_key_path = "${client.key}"`,
        '',
      ].join('\n'),
    );
  });

  after(async () => {
    await worker?.stop();
    // Clean up over the plain backend: the run has no training workers and would wait forever.
    const connection = await Connection.connect({ address: environment.temporal.address });
    await new Client({ connection, namespace: environment.temporal.namespace }).workflow
      .getHandle(`amto-${runId}`)
      .terminate('security test done')
      .catch(() => undefined);
    await connection.close();
    await proxy.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a worker (TEMPORAL_TLS_* variables) and the CLI (a TOML profile) with the right certificate start a run and answer its progress', async () => {
    worker = spawnWorkerProcess('control', queue, {
      entry: cliEntry,
      execArgv: [],
      env: envWith(mtlsVariables()),
    });
    await waitUntilPolling(worker, Date.now() + 60_000);
    assert.match(worker.output(), new RegExp(`\\(${proxy.address.replace(/\./g, '\\.')}\\)`));

    const cliEnv = envWith({ TEMPORAL_CONFIG_FILE: profilePath, TEMPORAL_PROFILE: 'secure' });
    const config = writeUntrainedRunConfig(dir, 'tiny', queue);
    const started = await runAmto(
      ['run', config, '--run-id', runId, '--task-queue', queue, '--detach'],
      cliEnv,
    );
    assert.equal(started.code, 0, started.output);
    assert.match(started.output, new RegExp(`Started run ${runId}`));

    // The progress query is answered by the control worker, which reaches Temporal only through the proxy.
    let status: { status: string; progress: unknown } | undefined;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const result = await runAmto(['status', runId, '--json'], cliEnv);
      assert.equal(result.code, 0, result.output);
      status = JSON.parse(result.output.slice(result.output.indexOf('{'))) as typeof status;
      if (status?.progress !== null) break;
    }
    assert.equal(status?.status, 'RUNNING');
    assert.notEqual(status?.progress, null, 'the control worker answered no progress query over mTLS');
    assert.match(proxy.log(), /temporal_tls/);
    assertNoSecret(started.output + worker.output());
  });

  test('without a client certificate the CLI and a worker are refused at once, told to set the client certificate', async () => {
    const {
      TEMPORAL_TLS_CLIENT_CERT_PATH: _cert,
      TEMPORAL_TLS_CLIENT_KEY_PATH: _key,
      ...noCert
    } = mtlsVariables();
    const expected =
      /requires a client certificate.*TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH/;
    await assertRefused(noCert, expected, ['list']);
    await assertRefused(noCert, expected, [
      'worker',
      '--role',
      'control',
      '--task-queue',
      queue,
      '--backend',
      'cpu',
    ]);
  });

  test('a client certificate from another CA is refused, naming the certificate to check', async () => {
    const stranger = {
      ...mtlsVariables(),
      TEMPORAL_TLS_CLIENT_CERT_PATH: strangerClient.cert,
      TEMPORAL_TLS_CLIENT_KEY_PATH: strangerClient.key,
    };
    await assertRefused(stranger, /refused this client certificate.*TEMPORAL_TLS_CLIENT_CERT_PATH/, [
      'worker',
      '--role',
      'master',
      '--task-queue',
      queue,
      '--backend',
      'cpu',
    ]);
  });

  test('plaintext to the TLS port, and a server CA not given, each say which setting is missing', async () => {
    await assertRefused({ TEMPORAL_ADDRESS: proxy.address }, /set TEMPORAL_TLS=true/, ['list']);
    const { TEMPORAL_TLS_SERVER_CA_CERT_PATH: _ca, ...systemCas } = mtlsVariables();
    await assertRefused(systemCas, /certificate is not trusted.*TEMPORAL_TLS_SERVER_CA_CERT_PATH/, ['list']);
  });

  test('a profile that does not exist is named', async () => {
    const result = await runAmto(
      ['list'],
      envWith({ TEMPORAL_CONFIG_FILE: profilePath, TEMPORAL_PROFILE: 'nope' }),
    );
    assert.equal(result.code, 1, result.output);
    assert.match(result.output, /Profile 'nope' not found.*TEMPORAL_PROFILE/);
    assertNoSecret(result.output);
  });
});
