import { loadEnvironment } from '../../infra/environment';
import {
  amtoArchKey,
  amtoBestValLossKey,
  amtoDatasetKey,
  amtoRoundKey,
} from '../../workflows/search-attributes';
import { type Command, noArguments, parseCommandArgs } from '../command';
import { integerFlag } from '../run-config-file';
import { listRunWorkflows, runIdOfWorkflowId } from '../run-workflows';
import { connectTemporal } from '../temporal-client';

const usage = `Usage: amto list [--limit N] [--json]

Lists training runs (amtoTraining workflows) from Temporal, newest first, with their status, rounds
done, best validation loss, architecture, dataset and start time.

  --limit  how many runs (default 20)
  --json   print a JSON array`;

export const listCommand: Command = {
  name: 'list',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(this, argv, {
      limit: { type: 'string' },
      json: { type: 'boolean' },
    });
    noArguments(this, positionals);
    const limit = integerFlag('limit', values.limit, 1) ?? 20;
    const session = await connectTemporal(loadEnvironment());
    try {
      const runs = (await listRunWorkflows(session.client, limit)).map((info) => ({
        runId: runIdOfWorkflowId(info.workflowId),
        workflowId: info.workflowId,
        status: info.status.name,
        round: info.typedSearchAttributes.get(amtoRoundKey) ?? null,
        bestValLoss: info.typedSearchAttributes.get(amtoBestValLossKey) ?? null,
        arch: info.typedSearchAttributes.get(amtoArchKey) ?? null,
        dataset: info.typedSearchAttributes.get(amtoDatasetKey) ?? null,
        startTime: info.startTime.toISOString(),
      }));
      if (values.json) {
        console.log(JSON.stringify(runs));
        return 0;
      }
      if (runs.length === 0) {
        console.log('No runs yet; start one with `amto run <config.json>`.');
        return 0;
      }
      const rows = [
        ['RUN', 'STATUS', 'ROUND', 'BEST VAL LOSS', 'ARCH', 'DATASET', 'STARTED'],
        ...runs.map((run) => [
          run.runId,
          run.status.toLowerCase(),
          run.round === null ? '—' : String(run.round),
          run.bestValLoss === null ? '—' : run.bestValLoss.toFixed(4),
          run.arch ?? '—',
          run.dataset ?? '—',
          run.startTime.replace('T', ' ').slice(0, 19),
        ]),
      ];
      const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
      for (const row of rows) console.log(row.map((cell, column) => cell.padEnd(widths[column]!)).join('  '));
      return 0;
    } finally {
      await session.close();
    }
  },
};
