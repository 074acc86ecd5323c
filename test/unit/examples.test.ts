import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseRunConfig } from '../../amto';

const examplesDir = join(__dirname, '..', '..', 'examples');

test('every example config is a valid run config', () => {
  const files = readdirSync(examplesDir).filter((file) => file.endsWith('.json'));
  assert.ok(files.length >= 5, `expected the CPU and GPU examples, found ${files.join(', ')}`);
  for (const file of files) {
    const result = parseRunConfig(JSON.parse(readFileSync(join(examplesDir, file), 'utf8')));
    assert.ok(result.ok, `${file}: ${result.ok ? '' : result.problems.join('; ')}`);
  }
});
