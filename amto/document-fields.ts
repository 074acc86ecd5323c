/**
 * Field builders for every document schema (run config, run state, manifests, report input). Each rule
 * sentence is the field's error message, so a problem reads "<field>: <rule> (got <value>)".
 */
import { z } from 'zod';

export function integer(min: number): z.ZodInt {
  const rule = `must be an integer ≥ ${min}`;
  return z.int(rule).min(min, rule);
}

export function integerIn(min: number, max: number): z.ZodInt {
  const rule = `must be an integer from ${min} to ${max}`;
  return z.int(rule).min(min, rule).max(max, rule);
}

export function numberAbove(min: number): z.ZodNumber {
  const rule = `must be a number > ${min}`;
  return z.number(rule).gt(min, rule);
}

/** Any finite number (zod's numbers exclude NaN and ±Infinity). */
export function finiteNumber(): z.ZodNumber {
  return z.number('must be a finite number');
}

export function accuracy(): z.ZodNumber {
  const rule = 'must be an accuracy between 0 and 1';
  return z.number(rule).min(0, rule).max(1, rule);
}

export function nonEmptyText(): z.ZodString {
  const rule = 'must be a non-empty string';
  return z.string(rule).min(1, rule);
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, `must be one of ${values.map((value) => `"${value}"`).join(', ')}`);
}

export const flag = (): z.ZodBoolean => z.boolean('must be true or false');
