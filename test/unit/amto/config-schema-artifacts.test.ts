import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  ALGORITHM_DOC_PATH,
  JSON_SCHEMA_PATH,
  runConfigJsonSchemaText,
  withConfigReference,
} from '../../../scripts/config-schema-artifacts';

const REGENERATE = 'run `node --import tsx scripts/write-config-schema.ts` and commit the result';

describe('files generated from the run config schema', () => {
  test(`amto/run-config.schema.json is up to date (${REGENERATE})`, () => {
    assert.equal(readFileSync(JSON_SCHEMA_PATH, 'utf8'), runConfigJsonSchemaText());
  });

  test(`the config reference table in docs/algorithm.md is up to date (${REGENERATE})`, async () => {
    const doc = readFileSync(ALGORITHM_DOC_PATH, 'utf8');
    assert.equal(doc, await withConfigReference(doc));
  });

  test('the JSON Schema describes every field, requires only the dataset, and forbids unknown fields', () => {
    type Node = {
      properties?: Record<string, Node>;
      required?: string[];
      additionalProperties?: boolean;
      oneOf?: Node[];
      description?: string;
    };
    const schema = JSON.parse(readFileSync(JSON_SCHEMA_PATH, 'utf8')) as Node;
    assert.deepEqual(schema.required, ['dataset']);
    const undescribed: string[] = [];
    const visit = (node: Node, path: string): void => {
      if (node.properties !== undefined)
        assert.equal(node.additionalProperties, false, `${path || 'config'} is closed`);
      for (const [name, child] of Object.entries(node.properties ?? {})) {
        const childPath = path === '' ? name : `${path}.${name}`;
        if (child.description === undefined) undescribed.push(childPath);
        visit(child, childPath);
      }
      node.oneOf?.forEach((variant) => visit(variant, path));
    };
    visit(schema, '');
    assert.deepEqual(undescribed, []);
  });
});
