import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './usage-error';

export interface Command {
  name: string;
  usage: string;
  /** Returns the process exit code. */
  run(argv: string[]): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with the project's conventions: unknown flags are usage errors (`--help` is handled by main). */
export function parseCommandArgs<T extends Options>(
  command: Pick<Command, 'name' | 'usage'>,
  argv: string[],
  options: T,
) {
  try {
    return parseArgs({
      args: argv,
      options,
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(`amto ${command.name}: ${(error as Error).message}\n\n${command.usage}`);
  }
}

/** The one runId a command takes as its argument. */
export function runIdArgument(command: Pick<Command, 'name' | 'usage'>, positionals: string[]): string {
  const [runId] = positionals;
  if (runId === undefined || positionals.length > 1) {
    throw new UsageError(`amto ${command.name}: expected one runId\n\n${command.usage}`);
  }
  return runId;
}

/** For commands that take no arguments, only flags. */
export function noArguments(command: Pick<Command, 'name' | 'usage'>, positionals: string[]): void {
  if (positionals.length > 0) {
    throw new UsageError(`amto ${command.name}: unexpected argument "${positionals[0]}"\n\n${command.usage}`);
  }
}
