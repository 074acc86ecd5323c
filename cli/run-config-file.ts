import { readFileSync } from 'node:fs';
import { parseRunConfig, type RunConfig, type RunConfigInput } from '../amto';
import { UsageError } from './usage-error';

/** Flags that override fields of the config file (flags win). */
export interface RunConfigOverrides {
  runId?: string;
  tasks?: number;
  interval?: number;
  maxIterations?: number;
  seed?: number;
  queues?: { master: string; slave: string };
}

/** A JSON object read from a file; a missing, unreadable or unparseable file is a usage error. */
export function readJsonObjectFile(path: string, what: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT'
        ? `${what} ${path} does not exist; pass the path of a JSON run config (e.g. examples/tiny.json)`
        : `${what} ${path} cannot be read: ${(error as Error).message}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${what} ${path} is not valid JSON: ${(error as Error).message}; fix the file`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError(`${what} ${path} must hold a JSON object (the run config), not ${typeof value}`);
  }
  return value as Record<string, unknown>;
}

/** A whole number from a flag, or a usage error naming the flag. */
export function integerFlag(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < min) {
    throw new UsageError(`--${flag} must be an integer ≥ ${min} (got "${value}")`);
  }
  return parsed;
}

/**
 * Reads the config file, applies the flag overrides and validates the result with `parseRunConfig`
 * before anything starts, listing every problem. Returns the input as written (the workflow parses it
 * again, so defaults stay the workflow's) and the parsed config for display.
 */
export function loadRunConfig(
  path: string,
  overrides: RunConfigOverrides,
): { input: RunConfigInput; config: RunConfig } {
  const fromFile = readJsonObjectFile(path, 'config file');
  const existingQueues = fromFile.queues;
  const merged: Record<string, unknown> = {
    ...fromFile,
    ...(overrides.runId === undefined ? {} : { runId: overrides.runId }),
    ...(overrides.tasks === undefined ? {} : { tasks: overrides.tasks }),
    ...(overrides.interval === undefined ? {} : { interval: overrides.interval }),
    ...(overrides.maxIterations === undefined ? {} : { maxIterations: overrides.maxIterations }),
    ...(overrides.seed === undefined ? {} : { seed: overrides.seed }),
    ...(overrides.queues === undefined
      ? {}
      : {
          queues: {
            ...(existingQueues !== null && typeof existingQueues === 'object' ? existingQueues : {}),
            ...overrides.queues,
          },
        }),
  };
  const parsed = parseRunConfig(merged);
  if (!parsed.ok) {
    throw new UsageError(
      `config file ${path} has ${parsed.problems.length} problem(s); fix them and run again:\n` +
        parsed.problems.map((problem) => `  - ${problem}`).join('\n'),
    );
  }
  return { input: merged as RunConfigInput, config: parsed.config };
}
