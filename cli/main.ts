import { type Command } from './command';
import { demoCommand } from './commands/demo';
import { exportCommand } from './commands/export';
import { infraCommand } from './commands/infra';
import { listCommand } from './commands/list';
import { modelsCommand } from './commands/models';
import { reportCommand } from './commands/report';
import { resumeCommand } from './commands/resume';
import { pauseCommand, stopCommand, unpauseCommand } from './commands/run-control';
import { runCommand } from './commands/run';
import { statusCommand } from './commands/status';
import { workerCommand } from './commands/worker';
import { UsageError } from './usage-error';

const commands: Command[] = [
  demoCommand,
  runCommand,
  statusCommand,
  listCommand,
  stopCommand,
  pauseCommand,
  unpauseCommand,
  resumeCommand,
  reportCommand,
  exportCommand,
  modelsCommand,
  workerCommand,
  infraCommand,
];

function help(): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    'amto — Adaptive Multi-Task Optimization training on Temporal, TensorFlow.js and MinIO',
    '',
    'Usage: amto <command> [options]   (amto <command> --help for details)',
    '',
    'Commands:',
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
  ].join('\n');
}

async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return name === undefined ? 2 : 0;
  }
  const command = commands.find((candidate) => candidate.name === name);
  if (command === undefined) throw new UsageError(`amto: unknown command "${name}"\n\n${help()}`);
  return command.run(rest);
}

run(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  })
  .catch((error: unknown) => {
    if (error instanceof UsageError) {
      console.error(error.message);
      process.exitCode = 2;
    } else {
      console.error(error instanceof Error ? `amto: ${error.message}` : error);
      process.exitCode = 1;
    }
  });
