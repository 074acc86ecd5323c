/**
 * The run id rule. A run id names every object a run stores (`runs/<runId>/…`), so the run config,
 * the workflow (which falls back to its workflow id) and the storage keys all check this one rule.
 */

export const RUN_ID_MAX_LENGTH = 64;

/** Also the JSON schema's `pattern` for runId, so editors check the same rule. */
export const RUN_ID_PATTERN = new RegExp(`^[A-Za-z0-9][A-Za-z0-9._-]{0,${RUN_ID_MAX_LENGTH - 1}}$`);

/** The rule as a user reads it, completing "runId …". */
export const RUN_ID_RULE =
  `must be 1 to ${RUN_ID_MAX_LENGTH} letters, digits, ".", "_" or "-", starting with a letter or digit, ` +
  'since it becomes part of storage keys';

/** True when `value` may name a run: 1-64 of [A-Za-z0-9._-], not starting with ".", "_" or "-". */
export function isRunId(value: unknown): value is string {
  return typeof value === 'string' && RUN_ID_PATTERN.test(value);
}
