import { loadEnvironment } from '../../infra/environment';
import { type Command, parseCommandArgs, runIdArgument } from '../command';
import { runIdOfArgument } from '../run-workflows';
import { defaultReportDir, writeRunReport } from '../write-run-report';

const usage = `Usage: amto report <runId | workflowId> [--out DIR] [--json]

Writes an HTML report of a run (validation losses of masters and slaves per round, transfers, the
relationship matrix, the final accuracies) with one PNG per chart, from the run's saved per-round
state in the object store. Works while the run is still going (it shows the rounds so far).

  --out   output directory (default ./amto-reports/<runId>/)
  --json  print the written paths as JSON`;

export const reportCommand: Command = {
  name: 'report',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(this, argv, {
      out: { type: 'string' },
      json: { type: 'boolean' },
    });
    const environment = loadEnvironment();
    const runId = await runIdOfArgument(environment, runIdArgument(this, positionals));
    const files = await writeRunReport(environment, runId, values.out ?? defaultReportDir(runId));
    if (values.json) {
      console.log(JSON.stringify(files));
      return 0;
    }
    if (files.skippedRounds.length > 0) {
      console.log(
        `Left out rounds ${files.skippedRounds.join(', ')}: a master's validation loss was not finite.`,
      );
    }
    console.log(`Report: ${files.html}\nCharts: ${files.pngs.join(', ')}`);
    return 0;
  },
};
