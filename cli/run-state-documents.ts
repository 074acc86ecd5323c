import type { RunStateDocument } from '../activities/contracts';
import type { Environment } from '../infra/environment';
import { objectStoreFor } from '../workers/create-deps';
import { RunStateStore } from '../storage/run-state-store';

/** The run-state store of the configured object store (MinIO / S3). */
export function openRunStates(environment: Environment): RunStateStore {
  return new RunStateStore(objectStoreFor(environment));
}

/** The run's latest.json document; throws naming the stored runs when there is none. */
export async function loadLatestDocument(runStates: RunStateStore, runId: string): Promise<RunStateDocument> {
  return (await runStates.loadLatestRunState<RunStateDocument>(runId)).state;
}

/** Every per-round document, rounds 1..latest, in order. */
export async function loadRoundDocuments(
  runStates: RunStateStore,
  runId: string,
  latestRound: number,
): Promise<RunStateDocument[]> {
  const rounds = Array.from({ length: latestRound }, (_, index) => index + 1);
  const records = await Promise.all(
    rounds.map((round) => runStates.loadRunState<RunStateDocument>(runId, round)),
  );
  return records.map((record) => record.state);
}
