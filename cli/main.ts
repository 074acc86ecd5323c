import { type Command } from './command';
import { infraCommand } from './commands/infra';
import { workerCommand } from './commands/worker';
import { UsageError } from './usage-error';

const commands: Command[] = [workerCommand, infraCommand];

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
