import { parseRunStateDocument } from '../activities/run-state-document';
import type { RunStateDocument } from '../activities/contracts';
import type { Environment } from '../infra/environment';
import { objectStoreFor } from '../workers/create-deps';
import { RunStateStore } from '../storage/run-state-store';

/** The run-state store of the configured object store (MinIO / S3). */
export function openRunStates(environment: Environment): RunStateStore {
  return new RunStateStore(objectStoreFor(environment));
}

/**
 * The run's latest.json document, validated (a resumed run starts from it); throws naming the stored
 * runs when there is none, and the key and field when it is not a valid run-state document.
 */
export async function loadLatestDocument(runStates: RunStateStore, runId: string): Promise<RunStateDocument> {
  return (await runStates.loadLatestRunState(runId, parseRunStateDocument)).state;
}

/** Every per-round document, rounds 1..latest, in order, each validated. */
export async function loadRoundDocuments(
  runStates: RunStateStore,
  runId: string,
  latestRound: number,
): Promise<RunStateDocument[]> {
  const rounds = Array.from({ length: latestRound }, (_, index) => index + 1);
  const records = await Promise.all(
    rounds.map((round) => runStates.loadRunState(runId, round, parseRunStateDocument)),
  );
  return records.map((record) => record.state);
}
