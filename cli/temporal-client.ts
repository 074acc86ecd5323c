import { Client, Connection } from '@temporalio/client';
import type { Environment } from '../infra/environment';

export interface TemporalSession {
  client: Client;
  close(): Promise<void>;
}

/** A client for the configured Temporal; the error names the address and how to start a local server. */
export async function connectTemporal(environment: Environment): Promise<TemporalSession> {
  let connection: Connection;
  try {
    connection = await Connection.connect({
      address: environment.temporal.address,
      connectTimeout: '5 seconds',
    });
  } catch (error) {
    throw new Error(
      `cannot reach Temporal at ${environment.temporal.address} (${(error as Error).message}); ` +
        'start a local one with `amto infra up` or set TEMPORAL_ADDRESS',
    );
  }
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
