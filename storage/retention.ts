import { StorageError } from './errors';
import { assertObjectKey, parseRoundSegment, roundPrefix, runPrefix } from './keys';
import type { ObjectStore } from './object-store';

export interface RetentionRequest {
  runId: string;
  /** The round just finished. */
  currentRound: number;
  /** Keep every checkpoint of the last `keepRounds` rounds (currentRound - keepRounds + 1 ... currentRound). */
  keepRounds: number;
  /** Checkpoint keys any task points at as current, best or donor: never deleted, whatever their round. */
  referenced: readonly string[];
}

export interface RetentionResult {
  /** Rounds whose checkpoints were examined for deletion. */
  prunedRounds: number[];
  deletedObjects: number;
  deletedBytes: number;
  /** Referenced checkpoint keys that lie in pruned rounds and were kept. */
  keptReferenced: string[];
}

/**
 * Deletes the checkpoints of rounds older than the last `keepRounds`, except referenced ones (DESIGN §5).
 * Works on objects, not on a list of known checkpoints, so unfinished uploads (no manifest) and
 * in-interval checkpoints of old rounds go too. Run state, splits and exports are never touched.
 */
export async function applyRetention(
  store: ObjectStore,
  request: RetentionRequest,
): Promise<RetentionResult> {
  const { runId, currentRound, keepRounds } = request;
  if (!Number.isSafeInteger(keepRounds) || keepRounds < 1) {
    throw new StorageError(`keepRounds must be a whole number >= 1 (got ${String(keepRounds)})`);
  }
  if (!Number.isSafeInteger(currentRound) || currentRound < 0) {
    throw new StorageError(`currentRound must be a whole number >= 0 (got ${String(currentRound)})`);
  }
  // Trailing "/" so a reference to ".../t1/master" protects its files but not ".../t1/master-old".
  const protectedPrefixes = request.referenced.map((key) => {
    const trimmed = key.replace(/\/+$/, '');
    assertObjectKey(trimmed);
    return `${trimmed}/`;
  });
  const oldestKept = currentRound - keepRounds + 1;
  const prefix = runPrefix(runId);
  const prunedRounds = (await store.listPrefixes(prefix))
    .map((child) => parseRoundSegment(child.slice(prefix.length, -1)))
    .filter((round): round is number => round !== undefined && round < oldestKept)
    .sort((a, b) => a - b);

  const result: RetentionResult = { prunedRounds, deletedObjects: 0, deletedBytes: 0, keptReferenced: [] };
  for (const round of prunedRounds) {
    const objects = await store.list(roundPrefix(runId, round));
    const doomed = objects.filter((object) => !protectedPrefixes.some((kept) => object.key.startsWith(kept)));
    await store.delete(doomed.map((object) => object.key));
    result.deletedObjects += doomed.length;
    result.deletedBytes += doomed.reduce((sum, object) => sum + object.size, 0);
    for (const kept of protectedPrefixes) {
      if (
        kept.startsWith(roundPrefix(runId, round)) &&
        objects.some((object) => object.key.startsWith(kept))
      ) {
        result.keptReferenced.push(kept.slice(0, -1));
      }
    }
  }
  return result;
}
