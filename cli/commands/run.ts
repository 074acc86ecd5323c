import { loadEnvironment } from '../../infra/environment';
import { DEFAULT_TASK_QUEUES } from '../../amto';
import { parseCommandArgs, type Command } from '../command';
import { followRun } from '../follow-run';
import { presentOutcome } from '../present-outcome';
import { generateRunId } from '../run-id';
import { integerFlag, loadRunConfig } from '../run-config-file';
import { startRun } from '../start-run';
import { connectTemporal } from '../temporal-client';
import { UsageError } from '../usage-error';

const usage = `Usage: amto run <config.json> [--run-id ID] [--tasks N] [--interval C] [--max-iterations N]
                [--seed S] [--task-queue Q] [--detach] [--json]

Starts an AMTO training run (workflow amto-<runId>) and follows it until it ends.

  <config.json>     the run config (see amto/run-config.schema.json and examples/tiny.json)
  --run-id          names the run (default: the config's runId, else run-YYYYMMDD-HHMMSS-xxxx)
  --tasks           M, the number of tasks (overrides the config; flags win)
  --interval        c, iterations per round
  --max-iterations  the iteration budget
  --seed            seed of every random choice
  --task-queue      the workflow's task queue (default "${DEFAULT_TASK_QUEUES.control}", served by the control worker)
  --detach          start the run and return at once
  --json            print one JSON object (no live display)

The config is validated before anything starts; every problem is listed. Ctrl-C while following
detaches: the run goes on; reattach with 'amto status <runId> --follow'.`;

export const runCommand: Command = {
  name: 'run',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(this, argv, {
      'run-id': { type: 'string' },
      tasks: { type: 'string' },
      interval: { type: 'string' },
      'max-iterations': { type: 'string' },
      seed: { type: 'string' },
      'task-queue': { type: 'string' },
      detach: { type: 'boolean' },
      json: { type: 'boolean' },
    });
    if (positionals.length !== 1) {
      throw new UsageError(`amto run: expected one config file (got ${positionals.length})\n\n${usage}`);
    }
    const { input, config } = loadRunConfig(positionals[0] as string, {
      runId: values['run-id'],
      tasks: integerFlag('tasks', values.tasks, 1),
      interval: integerFlag('interval', values.interval, 1),
      maxIterations: integerFlag('max-iterations', values['max-iterations'], 1),
      seed: integerFlag('seed', values.seed, 0),
    });
    const environment = loadEnvironment();
    const session = await connectTemporal(environment);
    try {
      const run = await startRun(
        session.client,
        environment,
        { ...input, runId: config.runId ?? generateRunId() },
        values['task-queue'] ?? DEFAULT_TASK_QUEUES.control,
      );
      const json = values.json === true;
      if (values.detach) {
        if (json) console.log(JSON.stringify(run));
        else
          console.log(
            `Started run ${run.runId} (workflow ${run.workflowId})\n  follow  amto status ${run.runId} --follow\n  web UI  ${run.uiUrl}`,
          );
        return 0;
      }
      if (!json) console.log(`Started run ${run.runId} (workflow ${run.workflowId})\n  web UI  ${run.uiUrl}`);
      const outcome = await followRun(session.client, run.workflowId, {
        display: json ? 'quiet' : process.stdout.isTTY ? 'panel' : 'lines',
      });
      return presentOutcome(run, outcome, json);
    } finally {
      await session.close();
    }
  },
};
