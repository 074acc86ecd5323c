/**
 * Regenerates the replay fixtures from real runs (spawned workers, tfjs WASM, the dev server, MinIO):
 *   node --import tsx test/replay/record-histories.ts [scenario ...]   (default: every scenario)
 * Re-record after an intended change to the workflow's commands, and say so in the commit. Fixtures
 * recorded before a change guarded by patched() are kept: they show old histories still replay.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { RunConfigInput } from '../../amto';
import { loadEnvironment } from '../../infra/environment';
import { ensureServerBinary } from '../../infra/server-binaries';
import { amtoTraining } from '../../workflows';
import { startWorkerFleet } from '../helpers/worker-processes';

const scenarios: Array<{ name: string; config: Partial<RunConfigInput> }> = [
  { name: 'short-run', config: { maxIterations: 10 } },
  // Two workflow runs: the first ends in continue-as-new after one round, the second finishes.
  { name: 'continue-as-new', config: { maxIterations: 10, continueAsNewEveryRounds: 1 } },
  // Recorded with the round-cost patches: round 1's slaves reuse their masters' results (sameInit),
  // and each round's run-state write and retention run beside the next round.
  { name: 'same-init-persist-beside', config: { maxIterations: 15 } },
];
const only = process.argv.slice(2);

async function run(): Promise<void> {
  const environment = loadEnvironment();
  const temporalCli = ensureServerBinary('temporal', environment.cacheDir);
  const connection = await Connection.connect({ address: environment.temporal.address });
  const fleet = await startWorkerFleet(`replay-${Date.now().toString(36)}`);
  try {
    const client = new Client({ connection, namespace: environment.temporal.namespace });
    const outDir = join(__dirname, 'histories');
    mkdirSync(outDir, { recursive: true });
    for (const scenario of scenarios.filter((each) => only.length === 0 || only.includes(each.name))) {
      const runId = `replay-${scenario.name}-${Date.now().toString(36)}`;
      const workflowId = `amto-${runId}`;
      const config: RunConfigInput = {
        runId,
        seed: 5,
        dataset: { kind: 'fashion-mnist', subset: 600, testSubset: 200 },
        tasks: 2,
        interval: 5,
        batchSize: 16,
        checkpoint: { everySteps: 5, keepRounds: 1 },
        queues: fleet.queues,
        ...scenario.config,
      };
      const handle = await client.workflow.start(amtoTraining, {
        taskQueue: fleet.control,
        workflowId,
        args: [config],
      });
      await handle.result();
      // Every run of the chain: for continue-as-new that is the run that continued and the one that finished.
      const runIds: string[] = [];
      for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
        runIds.push(execution.runId);
      }
      for (const [index, executionRunId] of runIds.reverse().entries()) {
        // The Temporal CLI writes the canonical proto-JSON form that historyFromJSON reads.
        const json = execFileSync(temporalCli, [
          'workflow',
          'show',
          '--workflow-id',
          workflowId,
          '--run-id',
          executionRunId,
          '--output',
          'json',
          '--address',
          environment.temporal.address,
          '--namespace',
          environment.temporal.namespace,
        ]);
        const file = join(outDir, `${scenario.name}${runIds.length > 1 ? `-run${index + 1}` : ''}.json`);
        writeFileSync(file, json);
        console.log(`wrote ${file}`);
      }
    }
  } finally {
    await fleet.stop();
    await connection.close();
  }
}

run().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
