import { isModelArch, MODEL_ARCHS, type ModelArch } from '../ml/models';

/**
 * Command-line flags of the benches, read one at a time: each bench keeps its own flags and usage line,
 * the checks of a value (a positive integer, a list of zoo models) and their error messages live here.
 */
export class BenchArgs {
  private index = -1;

  constructor(
    private readonly args: readonly string[],
    private readonly usage: string,
  ) {}

  /** The next flag, or undefined at the end. */
  nextFlag(): string | undefined {
    this.index += 1;
    return this.args[this.index];
  }

  /** The value after `flag`. */
  value(flag: string): string {
    this.index += 1;
    const next = this.args[this.index];
    if (next === undefined || next.startsWith('--')) throw new Error(`${flag} needs a value; ${this.usage}`);
    return next;
  }

  positiveInteger(flag: string): number {
    const text = this.value(flag);
    const number = Number(text);
    if (!Number.isInteger(number) || number < 1)
      throw new Error(`${flag} must be a positive integer; got '${text}'`);
    return number;
  }

  /** A comma-separated list of zoo models. */
  models(flag: string): ModelArch[] {
    return this.value(flag)
      .split(',')
      .map((name) => {
        if (!isModelArch(name))
          throw new Error(`${flag}: unknown model '${name}'; choose from ${MODEL_ARCHS.join(', ')}`);
        return name;
      });
  }

  unknown(flag: string): Error {
    return new Error(`unknown argument '${flag}'; ${this.usage}`);
  }
}
