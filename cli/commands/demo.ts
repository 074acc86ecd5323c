import { join } from 'node:path';
import { loadEnvironment } from '../../infra/environment';
import { startServers } from '../../infra/servers';
import { type Command, noArguments, parseCommandArgs } from '../command';
import { followRun } from '../follow-run';
import { packageRoot } from '../package-root';
import { presentOutcome } from '../present-outcome';
import { generateRunId } from '../run-id';
import { loadRunConfig } from '../run-config-file';
import { startRun } from '../start-run';
import { connectTemporal } from '../temporal-client';
import { startWorkerProcesses } from '../worker-processes';
import { defaultReportDir, writeRunReport } from '../write-run-report';

const usage = `Usage: amto demo [--config FILE] [--out DIR]

The one-command demo (what 'npm start' runs): starts local Temporal and MinIO unless they run, starts a
control, a master and a slave worker on task queues of their own, trains examples/tiny.json (a small
CNN on a Fashion-MNIST subset, 2 tasks, a few minutes on a laptop CPU) with a fresh run id while showing
its progress, writes the run report, prints the result with the run's web-UI URL, and stops the
workers. The servers keep running (stop them with 'npx amto infra down').

  --config  another run config (its queues are replaced by the demo's own)
  --out     report directory (default ./amto-reports/<runId>/)`;

export const demoCommand: Command = {
  name: 'demo',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(this, argv, {
      config: { type: 'string' },
      out: { type: 'string' },
    });
    noArguments(this, positionals);
    const runId = generateRunId();
    const controlQueue = `demo-${runId}`;
    const queues = { master: `${controlQueue}-master`, slave: `${controlQueue}-slave` };
    const configPath = values.config ?? join(packageRoot(), 'examples', 'tiny.json');
    const { input } = loadRunConfig(configPath, { runId, queues });

    const environment = loadEnvironment();
    await startServers(environment);
    const logDir = join(environment.cacheDir, 'logs');
    console.log(`[demo] starting control, master and slave workers (logs: ${logDir}/${controlQueue}-*.log)`);
    const workers = startWorkerProcesses(
      [
        { role: 'control', taskQueue: controlQueue },
        { role: 'master', taskQueue: queues.master },
        { role: 'slave', taskQueue: queues.slave },
      ],
      logDir,
      controlQueue,
    );
    const session = await connectTemporal(environment);
    try {
      const run = await startRun(session.client, environment, { ...input, runId }, controlQueue);
      console.log(`[demo] training ${configPath} as run ${run.runId}\n  web UI  ${run.uiUrl}`);
      const outcome = await followRun(session.client, run.workflowId, {
        display: process.stdout.isTTY ? 'panel' : 'lines',
        abort: workers.died,
      });
      if (outcome.kind === 'detached') {
        const reason = workers.deathReason();
        console.error(
          `[demo] ${reason ?? 'interrupted'}. Run ${runId} is saved after its last round; the demo's ` +
            `workers are stopped, so it waits. Continue it later with workers on queues ${controlQueue}, ` +
            `${queues.master}, ${queues.slave}, or restart it with 'amto resume ${runId}' after terminating it.`,
        );
        return 1;
      }
      const code = presentOutcome(run, outcome, false);
      if (outcome.kind === 'finished') {
        const report = await writeRunReport(environment, runId, values.out ?? defaultReportDir(runId));
        console.log(`  report              ${report.html}`);
      }
      return code;
    } finally {
      await session.close();
      console.log('[demo] stopping the workers…');
      await workers.stop();
      console.log(
        '[demo] done. Temporal and MinIO keep running (web UI above); stop them with: npx amto infra down',
      );
    }
  },
};
