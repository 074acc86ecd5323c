import { RUN_ID_RULE, TRAINING_ROLES, isRunId, type TrainingRole } from '../amto';
import { InvalidKeyError } from './errors';

/**
 * The bucket layout (DESIGN §5). Keys are deterministic, so a retried activity rewrites the same key:
 *
 *   runs/<runId>/r<round>/t<task>/<init|master|slave>/          a checkpoint (manifest.json last)
 *   runs/<runId>/r<round>/t<task>/partial/<master|slave>/s<step>/ an in-interval checkpoint
 *   runs/<runId>/state/round-<round>.json, .../state/latest.json  run state
 *   runs/<runId>/splits.json                                      the split manifest
 *   datasets/<name>/manifest.json, datasets/<name>/files/...      uploaded datasets
 */

/** A checkpoint written at a round boundary: `init` by prepareRun, `master`/`slave` by trainInterval. */
export type CheckpointRole = 'init' | 'master' | 'slave';

const checkpointRoles: readonly CheckpointRole[] = ['init', 'master', 'slave'];
/** Dataset names: letters, digits, dot, underscore, hyphen; starts with a letter or digit (never "." or ".."). */
const safeSegment = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const maxSegmentLength = 128;
/** S3's limit on a key, in UTF-8 bytes. */
const maxKeyBytes = 1024;
/** Reserved by the local-directory store for in-flight writes. */
export const reservedLocalTempDir = '.amto-tmp';

function assertSafeSegment(what: string, value: string): void {
  if (typeof value !== 'string' || value.length > maxSegmentLength || !safeSegment.test(value)) {
    throw new InvalidKeyError(
      `${what} ${JSON.stringify(value)} is not allowed: use 1-${maxSegmentLength} letters, digits, ".", "_" or "-", ` +
        'starting with a letter or digit',
    );
  }
}

function assertIndex(what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidKeyError(`${what} must be a whole number >= 0 (got ${String(value)})`);
  }
}

/** Checks a run id (amto's one rule) before it becomes part of a key. */
export function assertRunId(runId: string): void {
  if (!isRunId(runId)) {
    throw new InvalidKeyError(`run id ${JSON.stringify(runId)} is not allowed: it ${RUN_ID_RULE}`);
  }
}

/** Why `key` cannot name an object (e.g. 'it has an empty, "." or ".." segment'), or undefined. */
export function objectKeyProblem(key: string): string | undefined {
  if (typeof key !== 'string' || key === '') return 'it is empty';
  if (Buffer.byteLength(key) > maxKeyBytes) return `it is longer than ${maxKeyBytes} bytes`;
  if (key.startsWith('/')) return 'it starts with "/" (keys are relative to the bucket)';
  if (key.endsWith('/')) return 'it ends with "/" (that is a prefix, not an object)';
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is rejected
  if (/[\\\u0000-\u001f\u007f]/.test(key)) return 'it contains a backslash or a control character';
  const segments = key.split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) {
    return 'it has an empty, "." or ".." segment';
  }
  if (segments[0] === reservedLocalTempDir) {
    return `"${reservedLocalTempDir}/" is reserved for in-flight writes`;
  }
  return undefined;
}

/** Checks any object key: relative, no empty, "." or ".." segments, no backslashes or control characters. */
export function assertObjectKey(key: string): void {
  const problem = objectKeyProblem(key);
  if (problem !== undefined) {
    throw new InvalidKeyError(`object key ${JSON.stringify(key)} is not allowed: ${problem}`);
  }
}

/** Checks a list prefix: '' (everything) or a relative path that is a valid key or ends in "/". */
export function assertPrefix(prefix: string): void {
  if (prefix === '') return;
  assertObjectKey(prefix.endsWith('/') ? `${prefix}x` : prefix);
}

/** Checks a folder prefix (for listPrefixes): '' or a valid prefix ending in "/". */
export function assertFolderPrefix(prefix: string): void {
  assertPrefix(prefix);
  if (prefix !== '' && !prefix.endsWith('/')) {
    throw new InvalidKeyError(`a folder prefix must be '' or end in "/" (got "${prefix}")`);
  }
}

/** `runs/<runId>/`: everything a run stores. */
export function runPrefix(runId: string): string {
  assertRunId(runId);
  return `runs/${runId}/`;
}

/** `runs/<runId>/r<round>/`: every checkpoint written in one round. */
export function roundPrefix(runId: string, round: number): string {
  assertIndex('round', round);
  return `${runPrefix(runId)}r${round}/`;
}

/** The round number of a `r<round>` key segment, or undefined for any other segment. */
export function parseRoundSegment(segment: string): number | undefined {
  const match = /^r(0|[1-9][0-9]*)$/.exec(segment);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** `runs/<runId>/r<round>/t<task>/<role>`: the checkpoint a task's role holds at the end of a round. */
export function checkpointKey(runId: string, round: number, task: number, role: CheckpointRole): string {
  assertIndex('task', task);
  if (!checkpointRoles.includes(role)) {
    throw new InvalidKeyError(
      `checkpoint role must be one of ${checkpointRoles.join(', ')} (got ${String(role)})`,
    );
  }
  return `${roundPrefix(runId, round)}t${task}/${role}`;
}

/**
 * `runs/<runId>/r<round>/t<task>/partial/<role>/s<step>`: an in-interval checkpoint, so a retried
 * trainInterval resumes from `step` instead of the round's start. Kept apart from the role's own
 * prefix so rewriting the round-end checkpoint never touches them.
 */
export function partialCheckpointKey(
  runId: string,
  round: number,
  task: number,
  role: TrainingRole,
  step: number,
): string {
  assertIndex('task', task);
  assertIndex('step', step);
  if (!TRAINING_ROLES.includes(role)) {
    throw new InvalidKeyError(`partial checkpoint role must be master or slave (got ${String(role)})`);
  }
  return `${roundPrefix(runId, round)}t${task}/partial/${role}/s${step}`;
}

/** `runs/<runId>/state/round-<round>.json`, or `.../state/latest.json` without a round. */
export function runStateKey(runId: string, round?: number): string {
  const prefix = `${runPrefix(runId)}state/`;
  if (round === undefined) return `${prefix}latest.json`;
  assertIndex('round', round);
  return `${prefix}round-${round}.json`;
}

/** `runs/<runId>/splits.json`: the split manifest prepareRun writes. */
export function splitsKey(runId: string): string {
  return `${runPrefix(runId)}splits.json`;
}

/** `datasets/<name>/`: an uploaded dataset. */
export function datasetPrefix(name: string): string {
  assertSafeSegment('dataset name', name);
  return `datasets/${name}/`;
}
