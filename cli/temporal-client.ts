import { Client } from '@temporalio/client';
import type { Environment } from '../infra/environment';
import { connectTemporalClient } from '../workers/temporal-connection';

export interface TemporalSession {
  client: Client;
  close(): Promise<void>;
}

/**
 * A client for the configured Temporal (TLS, mTLS and API key from TEMPORAL_* variables or a TOML
 * profile); the error names the address and what to check.
 */
export async function connectTemporal(environment: Environment): Promise<TemporalSession> {
  const connection = await connectTemporalClient(environment.temporal);
  return {
    client: new Client({ connection, namespace: environment.temporal.namespace }),
    close: () => connection.close(),
  };
}

/** The Temporal web UI page of one workflow. */
export function workflowUiUrl(environment: Environment, workflowId: string): string {
  const { uiUrl, namespace } = environment.temporal;
  return `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** The workflow id of a run started by `amto run`. */
export function workflowIdOf(runId: string): string {
  return `amto-${runId}`;
}
