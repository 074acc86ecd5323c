import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Metadata, TLSConfig } from '@temporalio/client';
import { loadClientConfigProfile, toClientOptions } from '@temporalio/envconfig';
import { EnvironmentError } from './environment-error';

/**
 * How to reach Temporal, loaded the SDK's standard way (@temporalio/envconfig): a profile of a TOML file
 * (TEMPORAL_CONFIG_FILE, default ~/.config/temporalio/temporal.toml; TEMPORAL_PROFILE picks it) overridden
 * by TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS, TEMPORAL_TLS_CLIENT_CERT_PATH|DATA,
 * TEMPORAL_TLS_CLIENT_KEY_PATH|DATA, TEMPORAL_TLS_SERVER_CA_CERT_PATH|DATA, TEMPORAL_TLS_SERVER_NAME and
 * TEMPORAL_GRPC_META_*. The CLI and every worker connect with exactly these settings.
 */
export interface TemporalSettings {
  address: string;
  namespace: string;
  uiUrl: string;
  /** false: plaintext; a TLSConfig (possibly empty: system CAs, no client certificate) for TLS. */
  tls: TLSConfig | false;
  /** Sent as a bearer token; never print it (`describeTemporalSettings` only says whether it is set). */
  apiKey: string | undefined;
  metadata: Metadata;
  /** Where the settings came from, for messages: the variables alone, or a profile of a file. */
  source: string;
}

export class TemporalSettingsError extends EnvironmentError {
  override name = 'TemporalSettingsError';
}

/** The local dev-server defaults, so a fresh clone works with no variables and no config file. */
const localDefaults = { address: '127.0.0.1:7233', namespace: 'default', uiUrl: 'http://127.0.0.1:8233' };

function definedVariables(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '',
    ),
  );
}

/** The TOML file envconfig reads on Linux: TEMPORAL_CONFIG_FILE, else $XDG_CONFIG_HOME or ~/.config. */
function configFilePath(variables: Record<string, string>): string | undefined {
  if (variables.TEMPORAL_CONFIG_FILE !== undefined) return variables.TEMPORAL_CONFIG_FILE;
  const configDir = variables.XDG_CONFIG_HOME ?? (variables.HOME && join(variables.HOME, '.config'));
  return configDir === undefined ? undefined : join(configDir, 'temporalio', 'temporal.toml');
}

/** Reads the Temporal settings; a missing profile, a bad TOML file or an unreadable certificate names itself. */
export function loadTemporalSettings(env: NodeJS.ProcessEnv): TemporalSettings {
  const variables = definedVariables(env);
  const file = configFilePath(variables);
  const source =
    file !== undefined && existsSync(file)
      ? `profile "${variables.TEMPORAL_PROFILE ?? 'default'}" of ${file}, then TEMPORAL_* variables`
      : 'TEMPORAL_* variables';
  let connect: ReturnType<typeof toClientOptions>;
  try {
    connect = toClientOptions(loadClientConfigProfile({ overrideEnvVars: variables }));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new TemporalSettingsError(
      `cannot load the Temporal connection settings from ${source}: ${reason}; check TEMPORAL_CONFIG_FILE, ` +
        'TEMPORAL_PROFILE and the TEMPORAL_TLS_* paths',
    );
  }
  const { address, apiKey, tls, metadata } = connect.connectionOptions;
  return {
    address: address ?? localDefaults.address,
    namespace: connect.namespace ?? localDefaults.namespace,
    uiUrl: (variables.TEMPORAL_UI_URL ?? localDefaults.uiUrl).replace(/\/$/, ''),
    tls: tls === undefined || tls === null || tls === false ? false : tls === true ? {} : tls,
    apiKey: typeof apiKey === 'string' ? apiKey : undefined,
    metadata: metadata ?? {},
    source,
  };
}

/** The options both `Connection.connect` (client) and `NativeConnection.connect` (worker) take. */
export function temporalConnectionOptions(settings: TemporalSettings): {
  address: string;
  tls: TLSConfig | false;
  apiKey?: string;
  metadata: Metadata;
} {
  const { address, tls, apiKey, metadata } = settings;
  return { address, tls, metadata, ...(apiKey === undefined ? {} : { apiKey }) };
}

/** A printable view: whether TLS, a client certificate and an API key are set, never their contents. */
export function describeTemporalSettings(settings: TemporalSettings): string {
  if (settings.tls === false) return settings.apiKey === undefined ? 'plaintext' : 'plaintext, API key set';
  const parts = [
    'TLS',
    settings.tls.clientCertPair === undefined ? 'no client certificate' : 'client certificate',
    settings.tls.serverRootCACertificate === undefined ? 'system CAs' : 'own server CA',
  ];
  if (settings.tls.serverNameOverride !== undefined)
    parts.push(`server name ${settings.tls.serverNameOverride}`);
  if (settings.apiKey !== undefined) parts.push('API key set');
  return parts.join(', ');
}
