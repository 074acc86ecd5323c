/**
 * Turns zod issues into problems a user can act on: each names the field path, states the rule and
 * shows the value given, e.g. `tasks: must be an integer ≥ 1 (got 0)`; an unknown field lists the
 * allowed ones and suggests the nearest.
 */
import type { z } from 'zod';

type PathSegment = PropertyKey;

/** The field names allowed in the object at `path` of the input. */
export type AllowedFields = (path: readonly PathSegment[], input: unknown) => string[];

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function formatPath(path: readonly PathSegment[]): string {
  if (path.length === 0) return 'config';
  return path
    .map((segment, i) =>
      typeof segment === 'number' ? `[${segment}]` : `${i === 0 ? '' : '.'}${String(segment)}`,
    )
    .join('');
}

export function valueAt(input: unknown, path: readonly PathSegment[]): unknown {
  let value = input;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

/** A short rendering of a user's value: strings quoted, lists in JSON, numbers as themselves (JSON prints Infinity as null). */
function show(value: unknown): string {
  let text = isPlainObject(value) ? 'an object' : String(value);
  if (typeof value === 'string' || Array.isArray(value)) {
    try {
      text = JSON.stringify(value);
    } catch {
      // A list JSON cannot print (it holds a bigint) keeps its String() form.
    }
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] as number;
}

function unknownFieldProblem(
  path: readonly PathSegment[],
  key: string,
  input: unknown,
  allowedFields: AllowedFields,
): string {
  const allowed = allowedFields(path, input);
  const near = allowed.find(
    (name) => name.toLowerCase() === key.toLowerCase() || editDistance(name, key) <= 2,
  );
  const hint = near === undefined ? '' : `; did you mean "${near}"?`;
  return `${formatPath([...path, key])}: unknown field${hint} (allowed here: ${allowed.join(', ')})`;
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown, allowedFields: AllowedFields): string[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => unknownFieldProblem(issue.path, key, input, allowedFields));
  }
  const value = valueAt(input, issue.path);
  const where = formatPath(issue.path);
  if (issue.path.length === 0) return [`config: must be a JSON object (got ${show(value)})`];
  return value === undefined
    ? [`${where}: is required; it ${issue.message}`]
    : [`${where}: ${issue.message} (got ${show(value)})`];
}

/** One problem per issue (one per unknown key), in the order zod found them. */
export function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  allowedFields: AllowedFields,
): string[] {
  return issues.flatMap((issue) => describeIssue(issue, input, allowedFields));
}
