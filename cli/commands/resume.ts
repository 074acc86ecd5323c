import { loadEnvironment } from '../../infra/environment';
import { DEFAULT_TASK_QUEUES } from '../../amto';
import { type Command, parseCommandArgs, runIdArgument } from '../command';
import { followRun } from '../follow-run';
import { presentOutcome } from '../present-outcome';
import { loadLatestDocument, openRunStates } from '../run-state-documents';
import { currentWorkflowId, resumeCount, resumedWorkflowId, runIdOfArgument } from '../run-workflows';
import { startWorkflow } from '../start-run';
import { connectTemporal, workflowUiUrl } from '../temporal-client';
import { UsageError } from '../usage-error';

const usage = `Usage: amto resume <runId | workflowId> [--task-queue Q] [--detach] [--json]

Restarts a run whose workflow was terminated, failed or lost, from its saved state in the object store
(runs/<runId>/state/latest.json), as a new workflow amto-<runId>-resumed-<n>. Finished runs and runs
whose workflow still runs are refused. Then follows it like 'amto run'.`;

export const resumeCommand: Command = {
  name: 'resume',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(this, argv, {
      'task-queue': { type: 'string' },
      detach: { type: 'boolean' },
      json: { type: 'boolean' },
    });
    const environment = loadEnvironment();
    const runId = await runIdOfArgument(environment, runIdArgument(this, positionals));
    const document = await loadLatestDocument(openRunStates(environment), runId);
    if (document.result !== null) {
      throw new UsageError(
        `amto resume: run ${runId} already finished (task ${document.result.chosenTask} chosen); ` +
          `see \`amto status ${runId}\``,
      );
    }
    const session = await connectTemporal(environment);
    try {
      const current = await currentWorkflowId(session.client, runId);
      if (current !== null) {
        const status = (await session.client.workflow.getHandle(current).describe()).status.name;
        if (status === 'RUNNING') {
          throw new UsageError(
            `amto resume: run ${runId} is still running (workflow ${current}); ` +
              `follow it with \`amto status ${runId} --follow\``,
          );
        }
      }
      const workflowId = resumedWorkflowId(runId, (await resumeCount(session.client, runId)) + 1);
      await startWorkflow(
        session.client,
        workflowId,
        {
          ...document.config,
          continuation: { runId, prepared: document.prepared, state: document.state },
        },
        values['task-queue'] ?? DEFAULT_TASK_QUEUES.control,
      );
      const run = { runId, workflowId, uiUrl: workflowUiUrl(environment, workflowId) };
      const json = values.json === true;
      if (!json)
        console.log(`Resumed run ${runId} after round ${document.state.round} as workflow ${workflowId}`);
      if (values.detach) {
        if (json) console.log(JSON.stringify(run));
        else console.log(`  follow  amto status ${runId} --follow\n  web UI  ${run.uiUrl}`);
        return 0;
      }
      const outcome = await followRun(session.client, workflowId, {
        display: json ? 'quiet' : process.stdout.isTTY ? 'panel' : 'lines',
      });
      return presentOutcome(run, outcome, json);
    } finally {
      await session.close();
    }
  },
};
