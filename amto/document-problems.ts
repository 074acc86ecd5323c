/**
 * Turns zod issues into problems a user can act on: each names the field path, states the rule and
 * shows the value given, e.g. `tasks: must be an integer ≥ 1 (got 0)`; an unknown field lists the
 * allowed ones and suggests the nearest. Every document read across a process or storage boundary (run
 * config, run-state document, split manifest, checkpoint manifest, report input) is parsed through
 * `parseDocument`, so each reports its problems the same way.
 */
import type { z } from 'zod';

type PathSegment = PropertyKey;

/** The field names allowed in the object at `path` of the input. */
export type AllowedFields = (path: readonly PathSegment[], input: unknown) => string[];

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `a.b[2].c`; a key that is not an identifier (a file name) is quoted: `files["model.json"]`. */
function formatPath(path: readonly PathSegment[], root: string): string {
  if (path.length === 0) return root;
  return path
    .map((segment, i) => {
      if (typeof segment === 'number') return `[${segment}]`;
      const name = String(segment);
      if (!IDENTIFIER.test(name)) return `[${JSON.stringify(name)}]`;
      return `${i === 0 ? '' : '.'}${name}`;
    })
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
  options: DescribeOptions,
): string {
  const allowed = options.allowedFields?.(path, input) ?? [];
  const near = allowed.find(
    (name) => name.toLowerCase() === key.toLowerCase() || editDistance(name, key) <= 2,
  );
  const hint = near === undefined ? '' : `; did you mean "${near}"?`;
  const allowedHere = allowed.length === 0 ? '' : ` (allowed here: ${allowed.join(', ')})`;
  return `${formatPath([...path, key], options.root)}: unknown field${hint}${allowedHere}`;
}

/** The value as the problem shows it; for a rule on a list's length, its length. */
function shown(issue: z.core.$ZodIssue, value: unknown): string {
  const aboutLength =
    (issue.code === 'too_small' || issue.code === 'too_big') &&
    issue.origin === 'array' &&
    Array.isArray(value);
  return aboutLength ? `an array of ${(value as unknown[]).length}` : show(value);
}

/**
 * Where a rule's message wants the shown value, if not at its end: "… {got}; hint". A custom issue
 * whose message needs no value sets `params: { showValue: false }`.
 */
const GOT_PLACEHOLDER = '{got}';

function describeIssue(issue: z.core.$ZodIssue, input: unknown, options: DescribeOptions): string[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => unknownFieldProblem(issue.path, key, input, options));
  }
  const value = valueAt(input, issue.path);
  const where = formatPath(issue.path, options.root);
  if (issue.path.length === 0 && issue.code === 'invalid_type') {
    return [`${where}: must be a JSON object (got ${show(value)})`];
  }
  if (issue.code === 'custom' && issue.params?.['showValue'] === false) return [`${where}: ${issue.message}`];
  if (value === undefined) return [`${where}: is required; it ${issue.message}`];
  const got = `(got ${shown(issue, value)})`;
  return [
    issue.message.includes(GOT_PLACEHOLDER)
      ? `${where}: ${issue.message.replace(GOT_PLACEHOLDER, got)}`
      : `${where}: ${issue.message} ${got}`,
  ];
}

export interface DescribeOptions {
  /** What a problem at the top level is called, e.g. "config". */
  root: string;
  /** Lists the fields allowed where an unknown one was found (strict objects only). */
  allowedFields?: AllowedFields;
}

/** One problem per issue (one per unknown key), in the order zod found them. */
export function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  options: DescribeOptions,
): string[] {
  return issues.flatMap((issue) => describeIssue(issue, input, options));
}

/** A document that does not match its schema: `where` names it (object key, file), `problems` its fields. */
export class InvalidDocumentError extends Error {
  constructor(
    readonly where: string,
    readonly problems: string[],
  ) {
    super(`${where} is invalid:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'InvalidDocument';
  }
}

/**
 * Parses a document read across a boundary with its one schema. Throws an InvalidDocumentError naming
 * `where` (e.g. the object key) and every bad field, e.g. `runs/r1/splits.json is invalid: splits[0].train: …`.
 */
export function parseDocument<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  where: string,
  root = 'document',
): z.output<Schema> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new InvalidDocumentError(where, describeIssues(parsed.error.issues, value, { root }));
}
