/**
 * The one schema of the run-state document (`runs/<runId>/state/round-<r>.json`, `latest.json`), parsed
 * wherever it is read back (`amto resume`, `status`, `export`, `report`): a resumed workflow starts from
 * it, so a hand-edited or truncated document is refused naming the object key and the field. The
 * compiler checks it against the interfaces in contracts.ts.
 */
import { z } from 'zod';
import {
  accuracy as accuracyField,
  amtoStateSchema,
  integer,
  nonEmptyText,
  parseDocument,
  runConfigSchema,
} from '../amto';
import type { AmtoTrainingResult, PreparedRun, RunStateDocument } from './contracts';

const count = integer(0);
const text = nonEmptyText();
const accuracy = accuracyField();

const preparedRunSchema: z.ZodType<PreparedRun> = z.object({
  initialCheckpoints: z.array(text, 'must be a list of checkpoint keys'),
  splitManifestKey: text,
  datasetName: text,
  trainSizes: z.array(count, 'must be a list of sizes'),
  validationSizes: z.array(count, 'must be a list of sizes'),
  testSize: count,
  numClasses: count,
  storageUrl: text,
});

const trainingResultSchema: z.ZodType<AmtoTrainingResult> = z.object({
  runId: text,
  chosenTask: count,
  harmonicAccuracy: accuracy,
  validationAccuracies: z.array(accuracy, 'must be a list of accuracies'),
  testAccuracy: accuracy.nullable(),
  rounds: count,
  iterations: count,
  transfersTried: count,
  transfersAccepted: count,
  stopReason: text,
  checkpoint: text,
});

export const runStateDocumentSchema: z.ZodType<RunStateDocument> = z.object({
  version: z.literal(1, 'must be 1 (the only run-state document version)'),
  runId: text,
  workflowId: text,
  config: runConfigSchema,
  prepared: preparedRunSchema,
  state: amtoStateSchema,
  result: trainingResultSchema.nullable(),
});

/** The run-state document stored at `where` (its object key), validated; throws naming every bad field. */
export function parseRunStateDocument(value: unknown, where: string): RunStateDocument {
  return parseDocument(runStateDocumentSchema, value, where);
}
