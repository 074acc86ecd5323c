/** Runs the project's pinned Temporal CLI against the configured server, as a user types it. */
import { execFile } from 'node:child_process';
import { loadEnvironment } from '../../infra/environment';
import { ensureServerBinary } from '../../infra/server-binaries';

/** Runs `temporal <args…> --address … --namespace … -o json` and parses its stdout. */
export function temporalCliJson<T>(args: readonly string[], timeoutMs = 60_000): Promise<T> {
  const { temporal, cacheDir } = loadEnvironment();
  const binary = ensureServerBinary('temporal', cacheDir);
  const fullArgs = [...args, '--address', temporal.address, '--namespace', temporal.namespace, '-o', 'json'];
  return new Promise((resolve, reject) => {
    execFile(
      binary,
      fullArgs,
      { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const command = `temporal ${fullArgs.join(' ')}`;
        if (error !== null) {
          reject(new Error(`${command} failed (${error.message.split('\n')[0]}):\n${stderr}${stdout}`));
          return;
        }
        try {
          resolve(JSON.parse(stdout) as T);
        } catch {
          reject(new Error(`${command} printed no JSON:\n${stdout}`));
        }
      },
    );
  });
}

/** One execution as `temporal workflow list -o json` prints it (the fields the tests read). */
export interface ListedExecution {
  execution: { workflowId: string; runId: string };
  type: { name: string };
  status: string;
  closeTime?: string;
  searchAttributes?: { indexedFields?: Record<string, { data: string }> };
}

/** A search attribute's value from a listed execution: the CLI prints it as a base64 JSON payload. */
export function searchAttributeOf(execution: ListedExecution, key: string): unknown {
  const field = execution.searchAttributes?.indexedFields?.[key];
  return field === undefined ? undefined : JSON.parse(Buffer.from(field.data, 'base64').toString('utf8'));
}
