import type { AmtoTrainingResult } from '../../activities/contracts';
import { loadEnvironment } from '../../infra/environment';
import type { amtoTraining } from '../../workflows/amto-training';
import { parseCommandArgs, type Command } from '../command';
import { failureMessage } from '../failure-message';
import { followRun, queryProgress } from '../follow-run';
import { presentOutcome } from '../present-outcome';
import { progressPanel, resultLines } from '../progress-format';
import { listRunWorkflows, requireRunWorkflow, runIdOfWorkflowId, type RunWorkflow } from '../run-workflows';
import { connectTemporal, workflowUiUrl } from '../temporal-client';
import { UsageError } from '../usage-error';

const usage = `Usage: amto status [runId | workflowId] [--follow] [--json]

Shows a run's state: its workflow status, and its live progress (round, per-task validation loss and
accuracy, transfers) or its result. Without a runId: the most recent run.

  --follow  keep following until the run ends (Ctrl-C detaches; the run goes on)
  --json    print one JSON object`;

export const statusCommand: Command = {
  name: 'status',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(this, argv, {
      follow: { type: 'boolean' },
      json: { type: 'boolean' },
    });
    if (positionals.length > 1) throw new UsageError(`amto status: expected at most one runId\n\n${usage}`);
    const environment = loadEnvironment();
    const session = await connectTemporal(environment);
    const { client } = session;
    try {
      let found: RunWorkflow;
      if (positionals[0] === undefined) {
        const [latest] = await listRunWorkflows(client, 1);
        if (latest === undefined) throw new UsageError('amto status: no runs yet; start one with `amto run`');
        found = { runId: runIdOfWorkflowId(latest.workflowId), workflowId: latest.workflowId };
      } else {
        found = await requireRunWorkflow(client, positionals[0]);
      }
      const { workflowId } = found;
      const run = { ...found, uiUrl: workflowUiUrl(environment, workflowId) };
      const json = values.json === true;
      if (values.follow) {
        const outcome = await followRun(client, workflowId, {
          display: json ? 'quiet' : process.stdout.isTTY ? 'panel' : 'lines',
        });
        return presentOutcome(run, outcome, json);
      }
      const handle = client.workflow.getHandle<typeof amtoTraining>(workflowId);
      const status = (await handle.describe()).status.name;
      const progress = status === 'RUNNING' ? await queryProgress(client, handle) : null;
      let result: AmtoTrainingResult | null = null;
      let failure: string | null = null;
      if (status === 'COMPLETED') result = await handle.result();
      else if (status !== 'RUNNING') {
        failure = await handle.result().then(
          () => null,
          (error: Error) => failureMessage(error),
        );
      }
      if (json) {
        console.log(JSON.stringify({ ...run, status, progress, result, failure }));
        return 0;
      }
      console.log(`Run ${run.runId}: ${status.toLowerCase()} (workflow ${workflowId})`);
      if (result !== null) console.log(resultLines(result, run.uiUrl).join('\n'));
      else {
        if (progress !== null) console.log(progressPanel(progress, null).join('\n'));
        else if (status === 'RUNNING') console.log('  no progress yet: no control worker has answered');
        if (failure !== null) console.log(`  ${failure}\n  continue it with: amto resume ${run.runId}`);
        console.log(`  web UI  ${run.uiUrl}`);
      }
      return 0;
    } finally {
      await session.close();
    }
  },
};
