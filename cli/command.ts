import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './usage-error';

export interface Command {
  name: string;
  usage: string;
  /** Returns the process exit code. */
  run(argv: string[]): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with the project's conventions: unknown flags are usage errors, `--help` is always there. */
export function parseCommandArgs<T extends Options>(
  command: Pick<Command, 'name' | 'usage'>,
  argv: string[],
  options: T,
) {
  try {
    return parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(`amto ${command.name}: ${(error as Error).message}\n\n${command.usage}`);
  }
}
