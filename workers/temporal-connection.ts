import { connect as tcpConnect, isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import {
  describeTemporalSettings,
  temporalConnectionOptions,
  type TemporalSettings,
} from '../infra/temporal-settings';

/**
 * Connecting to Temporal with the loaded settings (TLS, mTLS, API key), for the CLI's client and the
 * workers alike. A failed connect becomes one error that names the address, where the settings came
 * from and what to check; it is raised within seconds, never retried without end.
 */
export class TemporalConnectionError extends Error {
  override name = 'TemporalConnectionError';
}

/** How long the client waits for the server; the worker's native connection fails at once by itself. */
const connectTimeoutMs = 5_000;
const probeTimeoutMs = 3_000;

/** The client waits up to 5 s for a server that may still be starting. */
export async function connectTemporalClient(settings: TemporalSettings): Promise<Connection> {
  await refuseAtOnceOverTls(settings);
  try {
    return await Connection.connect({
      ...temporalConnectionOptions(settings),
      connectTimeout: connectTimeoutMs,
    });
  } catch (error) {
    throw await connectionFailure(settings, error);
  }
}

export async function connectTemporalWorker(settings: TemporalSettings): Promise<NativeConnection> {
  await refuseAtOnceOverTls(settings);
  try {
    return await NativeConnection.connect(temporalConnectionOptions(settings));
  } catch (error) {
    throw await connectionFailure(settings, error);
  }
}

/**
 * Over TLS a probe handshake goes first: a refusal it is sure of (a TLS alert, an untrusted certificate)
 * fails at once, not after the connection's own retries (the worker's native connection took 30 s to
 * give up on a client certificate from another CA), and before a gRPC channel exists whose retry timer
 * would hold the process open.
 */
async function refuseAtOnceOverTls(settings: TemporalSettings): Promise<void> {
  if (settings.tls === false) return;
  const failure = await probe(settings);
  if (failure !== null && isDefinite(failure)) throw failureError(settings, explain(failure, settings));
}

async function connectionFailure(
  settings: TemporalSettings,
  error: unknown,
): Promise<TemporalConnectionError> {
  const reason = await diagnose(settings).catch(() => null);
  return failureError(settings, reason ?? (error instanceof Error ? error.message : String(error)), error);
}

function failureError(settings: TemporalSettings, reason: string, cause?: unknown): TemporalConnectionError {
  return new TemporalConnectionError(
    `cannot connect to Temporal at ${settings.address} (${describeTemporalSettings(settings)}; settings from ` +
      `${settings.source}): ${reason}. ` +
      (settings.tls === false
        ? 'Start a local server with `amto infra up`, or set TEMPORAL_ADDRESS (and TEMPORAL_TLS_* for TLS).'
        : 'Check TEMPORAL_ADDRESS and the TEMPORAL_TLS_* settings (docs/security.md).'),
    { cause },
  );
}

function hostAndPort(address: string): { host: string; port: number } {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address);
  return match ? { host: match[1] ?? address, port: Number(match[2]) } : { host: address, port: 7233 };
}

/** Repeats the connection with node's own TCP or TLS, which reports refusals and alerts precisely. */
function probe(settings: TemporalSettings): Promise<ProbeFailure | null> {
  const { host, port } = hostAndPort(settings.address);
  return settings.tls === false ? tcpProbe(host, port) : tlsProbe(host, port, settings.tls);
}

async function diagnose(settings: TemporalSettings): Promise<string | null> {
  const failure = await probe(settings);
  return failure === null ? null : explain(failure, settings);
}

/** TLS refusals, which waiting cannot cure; a refused, silent or closed port may be a server still starting. */
function isDefinite(failure: ProbeFailure): boolean {
  const transient = [
    'NO_GRPC_ANSWER',
    'ETIMEDOUT',
    'CLOSED',
    'ECONNREFUSED',
    'ECONNRESET',
    'ENOTFOUND',
    'EAI_AGAIN',
  ];
  return !transient.includes(failure.code);
}

interface ProbeFailure {
  code: string;
  message: string;
}

function asFailure(error: NodeJS.ErrnoException): ProbeFailure {
  return { code: error.code ?? '', message: error.message };
}

function tcpProbe(host: string, port: number): Promise<ProbeFailure | null> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host, port, timeout: probeTimeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve({ code: 'NO_GRPC_ANSWER', message: 'the TCP connection opened but no gRPC answer came' });
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve({ code: 'ETIMEDOUT', message: `no answer within ${probeTimeoutMs} ms` });
    });
    socket.once('error', (error) => resolve(asFailure(error)));
  });
}

/**
 * In TLS 1.3 the server judges the client certificate after the client's handshake is done, so a refusal
 * arrives as an alert once the first bytes are sent: send the HTTP/2 preface and wait for an answer.
 */
function tlsProbe(
  host: string,
  port: number,
  tls: Exclude<TemporalSettings['tls'], false>,
): Promise<ProbeFailure | null> {
  const servername = tls.serverNameOverride ?? (isIP(host) === 0 ? host : undefined);
  return new Promise((resolve) => {
    const socket = tlsConnect({
      host,
      port,
      ...(servername === undefined ? {} : { servername }),
      ca: tls.serverRootCACertificate === undefined ? undefined : Buffer.from(tls.serverRootCACertificate),
      cert: tls.clientCertPair && Buffer.from(tls.clientCertPair.crt),
      key: tls.clientCertPair && Buffer.from(tls.clientCertPair.key),
      ALPNProtocols: ['h2'],
      timeout: probeTimeoutMs,
    });
    const settle = (result: ProbeFailure | null): void => {
      socket.destroy();
      resolve(result);
    };
    socket.once('secureConnect', () => {
      // Connection preface and an empty SETTINGS frame (RFC 9113 §3.4).
      socket.write(
        Buffer.concat([
          Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'),
          Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]),
        ]),
      );
    });
    socket.once('data', () => settle(null));
    socket.once('timeout', () =>
      settle({ code: 'ETIMEDOUT', message: `no answer within ${probeTimeoutMs} ms` }),
    );
    socket.once('end', () => settle({ code: 'CLOSED', message: 'the server closed the connection' }));
    socket.once('error', (error) => settle(asFailure(error)));
  });
}

/** OpenSSL's alert codes read as words: ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED → "certificate required". */
function alertName(code: string): string {
  return code
    .replace(/^ERR_SSL_(?:(?:TLSV1[0-9]*|SSLV3)_ALERT_)?/, '')
    .toLowerCase()
    .replace(/_/g, ' ');
}

function explain(failure: ProbeFailure, settings: TemporalSettings): string {
  const { code, message } = failure;
  const alert = alertName(code);
  const hasClientCert = settings.tls !== false && settings.tls.clientCertPair !== undefined;
  if (code === 'ECONNREFUSED') return 'nothing listens there (connection refused)';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `host not found (${code})`;
  if (code === 'ETIMEDOUT') return `${message}: a firewall, a wrong port, or a server that is down`;
  if (code === 'NO_GRPC_ANSWER') {
    return (
      'the port is open but no Temporal answered in plaintext; if the server or its proxy requires TLS, ' +
      'set TEMPORAL_TLS=true (and TEMPORAL_TLS_CLIENT_CERT_PATH / TEMPORAL_TLS_CLIENT_KEY_PATH for mTLS)'
    );
  }
  if (/CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE/.test(code) && !hasClientCert) {
    return (
      `the server requires a client certificate (mTLS; TLS alert "${alert}"): set ` +
      'TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH (or tls.client_cert_path / ' +
      'tls.client_key_path in the profile)'
    );
  }
  if (
    /UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE|DECRYPT_ERROR/.test(
      code,
    )
  ) {
    return (
      `the server refused this client certificate (TLS alert "${alert}"): it must be issued by a CA ` +
      'the server trusts; check TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH'
    );
  }
  if (/SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|CERT_UNTRUSTED|CERT_HAS_EXPIRED/.test(code)) {
    return (
      `the server's certificate is not trusted (${code}): set TEMPORAL_TLS_SERVER_CA_CERT_PATH to the CA ` +
      'that issued it'
    );
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `the server's certificate is not for this host (${message}): set TEMPORAL_TLS_SERVER_NAME to a name it holds`;
  }
  if (/WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|RECORD_LAYER/.test(code)) {
    return 'the server answers in plaintext, not TLS: unset TEMPORAL_TLS and the TEMPORAL_TLS_* variables';
  }
  return `${code === '' ? '' : `${code}: `}${message}`;
}
