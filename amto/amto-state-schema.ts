/**
 * The schema of the AMTO loop state as stored in every run-state document (`amto resume` continues
 * from it), so a document edited by hand or cut short is refused naming the field before the workflow
 * sees it. The compiler checks it against the `AmtoState` interface the loop is written in.
 */
import { z } from 'zod';
import type { AmtoState, RoundRecord, TaskState, TransferDecision } from './amto-state';
import { accuracy as accuracyField, finiteNumber, flag, integer, nonEmptyText } from './document-fields';

const count = integer(0);
const key = nonEmptyText();
/** Losses that were not finite are stored as null (JSON has no NaN or Infinity). */
const loss = finiteNumber().nullable();
const accuracy = accuracyField().nullable();

const taskStateSchema: z.ZodType<TaskState> = z.object({
  task: count,
  checkpoint: key,
  bestValLoss: loss,
  bestValAccuracy: accuracy,
  bestCheckpoint: key.nullable(),
  bestIteration: count.nullable(),
  lastValLoss: loss,
  lastValAccuracy: accuracy,
  lastTrainLoss: loss,
  stale: count,
  improvementBaseline: loss,
  relationship: z.array(finiteNumber(), 'must be a list of numbers'),
});

const transferDecisionSchema: z.ZodType<TransferDecision> = z.object({
  task: count,
  donor: count.nullable(),
  accepted: flag(),
  masterValLoss: loss,
  slaveValLoss: loss,
  relationshipBefore: loss,
  relationshipAfter: loss,
});

const roundRecordSchema: z.ZodType<RoundRecord> = z.object({
  round: count,
  iteration: count,
  decisions: z.array(transferDecisionSchema, 'must be a list of transfer decisions'),
});

export const amtoStateSchema: z.ZodType<AmtoState> = z
  .object({
    round: count,
    iteration: count,
    tasks: z.array(taskStateSchema, 'must be a list of task states').min(1, 'must list at least one task'),
    transfersTried: count,
    transfersAccepted: count,
    stopReason: z
      .enum(
        ['budget', 'early-stopping', 'stopped-by-user'],
        'must be "budget", "early-stopping", "stopped-by-user" or null',
      )
      .nullable(),
    history: z.array(roundRecordSchema, 'must be a list of round records'),
  })
  .superRefine((state, context) => {
    state.tasks.forEach((task, index) => {
      if (task.task !== index) {
        context.addIssue({
          code: 'custom',
          path: ['tasks', index, 'task'],
          message: `must be ${index}, its position`,
        });
      }
      if (task.relationship.length !== state.tasks.length) {
        context.addIssue({
          code: 'custom',
          path: ['tasks', index, 'relationship'],
          message: `must have ${state.tasks.length} entries, one per task {got}`,
        });
      }
    });
  });
