import { z } from 'zod';
import { InvalidDocumentError, integer, parseDocument } from '../amto';
import { CorruptObjectError, ObjectNotFoundError, RunNotFoundError, StorageError } from './errors';
import { assertRunId, runStateKey } from './keys';
import type { ObjectStore } from './object-store';

/** The envelope every run-state object has; `state` is the caller's document (it parses it). */
const runStateRecordSchema = z.object({
  format: z.literal('amto-run-state', 'must be "amto-run-state"'),
  version: z.literal(1, 'must be 1'),
  runId: z.string('must be a run id'),
  round: integer(0),
  /** ISO-8601 time of the write. */
  writtenAt: z.iso.datetime('must be an ISO-8601 time'),
  state: z.unknown(),
});

/** A run-state document as stored: the caller's `state` plus where and when it was written. */
export type RunStateRecord<State = unknown> = Omit<z.output<typeof runStateRecordSchema>, 'state'> & {
  state: State;
};

/** Validates the `state` of a record read from `where` (its key and store), e.g. parseRunStateDocument. */
export type StateParser<State> = (state: unknown, where: string) => State;

export interface RunSummary {
  runId: string;
  /** null when the run has objects (e.g. initial checkpoints) but no round state yet. */
  latestRound: number | null;
  updatedAt: string | null;
}

/** How many known run ids a RunNotFoundError lists. */
const runsNamedInErrors = 20;

/**
 * Run state after each round (DESIGN §5): everything needed to resume without Temporal's history.
 * `runs/<runId>/state/round-<r>.json` is written first, then `latest.json`, so latest never points at
 * a round whose own copy is missing.
 */
export class RunStateStore {
  constructor(readonly store: ObjectStore) {}

  async writeRunState<State>(
    runId: string,
    round: number,
    state: State,
  ): Promise<{ key: string; latestKey: string; latestUpdated: boolean }> {
    const key = runStateKey(runId, round);
    const latestKey = runStateKey(runId);
    const record: RunStateRecord<State> = {
      format: 'amto-run-state',
      version: 1,
      runId,
      round,
      writtenAt: new Date().toISOString(),
      state,
    };
    let bytes: Buffer;
    try {
      bytes = Buffer.from(`${JSON.stringify(record, null, 2)}\n`);
    } catch (error) {
      throw new StorageError(
        `run state of "${runId}" round ${round} must be plain JSON: ${(error as Error).message}`,
      );
    }
    await this.store.putObject(key, bytes);
    // A late retry of an older round (a zombie activity attempt) must not move latest backwards.
    const current = await this.readRecord(latestKey);
    const latestUpdated = current === undefined || current.round <= round;
    if (latestUpdated) await this.store.putObject(latestKey, bytes);
    return { key, latestKey, latestUpdated };
  }

  /** The newest run state; throws RunNotFoundError (naming the runs that do exist) when there is none. */
  async loadLatestRunState<State = unknown>(
    runId: string,
    parseState?: StateParser<State>,
  ): Promise<RunStateRecord<State>> {
    assertRunId(runId);
    const record = await this.readRecord(runStateKey(runId), parseState);
    if (record !== undefined) return record;
    const known = (await this.listRuns()).map((run) => run.runId);
    const shown = known.slice(0, runsNamedInErrors).join(', ');
    throw new RunNotFoundError(
      `run "${runId}" has no saved state in ${this.store.location} (looked for ${runStateKey(runId)}). ` +
        (known.length === 0
          ? 'No runs are stored there.'
          : `Stored runs: ${shown}${known.length > runsNamedInErrors ? `, … (${known.length} in all)` : ''}.`) +
        ' Check the run id and MINIO_ENDPOINT / MINIO_BUCKET.',
    );
  }

  /** The state written for one round; throws RunNotFoundError when that round has none. */
  async loadRunState<State = unknown>(
    runId: string,
    round: number,
    parseState?: StateParser<State>,
  ): Promise<RunStateRecord<State>> {
    const key = runStateKey(runId, round);
    const record = await this.readRecord(key, parseState);
    if (record === undefined) {
      throw new RunNotFoundError(
        `run "${runId}" has no state for round ${round} in ${this.store.location} (${key})`,
      );
    }
    return record;
  }

  /** Every run in the store with its latest round and update time, newest first. */
  async listRuns(): Promise<RunSummary[]> {
    const prefixes = await this.store.listPrefixes('runs/');
    const runs = await Promise.all(
      prefixes.map(async (prefix): Promise<RunSummary> => {
        const runId = prefix.slice('runs/'.length, -1);
        const latest = await this.readRecord(`${prefix}state/latest.json`);
        return { runId, latestRound: latest?.round ?? null, updatedAt: latest?.writtenAt ?? null };
      }),
    );
    return runs.sort(
      (a, b) => (b.updatedAt ?? '').localeCompare(a.updatedAt ?? '') || a.runId.localeCompare(b.runId),
    );
  }

  private async readRecord<State>(
    key: string,
    parseState?: StateParser<State>,
  ): Promise<RunStateRecord<State> | undefined> {
    let bytes: Uint8Array;
    try {
      bytes = await this.store.getObject(key);
    } catch (error) {
      if (error instanceof ObjectNotFoundError) return undefined;
      throw error;
    }
    const where = `${key} in ${this.store.location}`;
    let value: unknown;
    try {
      value = JSON.parse(Buffer.from(bytes).toString('utf8'));
    } catch (error) {
      throw new StorageError(`run state ${where} is not valid JSON: ${(error as Error).message}`);
    }
    let record: z.output<typeof runStateRecordSchema>;
    try {
      record = parseDocument(runStateRecordSchema, value, where, 'run state');
    } catch (error) {
      if (error instanceof InvalidDocumentError) {
        throw new CorruptObjectError(key, `(in ${this.store.location}) ${error.problems.join('; ')}`);
      }
      throw error;
    }
    const state = parseState === undefined ? (record.state as State) : parseState(record.state, where);
    return { ...record, state };
  }
}
