/**
 * Regenerates amto/run-config.schema.json and the config reference table in docs/algorithm.md from
 * the zod schema. Run after changing amto/run-config.ts:
 *   node --import tsx scripts/write-config-schema.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import {
  ALGORITHM_DOC_PATH,
  JSON_SCHEMA_PATH,
  runConfigJsonSchemaText,
  withConfigReference,
} from './config-schema-artifacts';

async function main(): Promise<void> {
  writeFileSync(JSON_SCHEMA_PATH, runConfigJsonSchemaText());
  writeFileSync(ALGORITHM_DOC_PATH, await withConfigReference(readFileSync(ALGORITHM_DOC_PATH, 'utf8')));
  console.log(`wrote ${JSON_SCHEMA_PATH} and the config table in ${ALGORITHM_DOC_PATH}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
