import { selectBackend } from '../../ml/backend';
import { describeModels } from '../../ml/models';
import { type Command, noArguments, parseCommandArgs } from '../command';
import { integerFlag } from '../run-config-file';

const usage = `Usage: amto models [--input 224] [--classes 1000] [--json]

Lists the model zoo with parameter counts and forward-pass GFLOPs (one image) at a square RGB input,
and the compute backend a worker started here would train them on.

  --input    input side in pixels (default 224)
  --classes  output classes (default 1000)
  --json     print a JSON array`;

export const modelsCommand: Command = {
  name: 'models',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(this, argv, {
      input: { type: 'string' },
      classes: { type: 'string' },
      json: { type: 'boolean' },
    });
    noArguments(this, positionals);
    const inputSize = integerFlag('input', values.input, 8) ?? 224;
    const classes = integerFlag('classes', values.classes, 2) ?? 1000;
    const models = describeModels({ inputSize, classes });
    if (values.json) {
      console.log(JSON.stringify(models));
      return 0;
    }
    const count = (value: number): string => value.toLocaleString('en-US');
    const rows = [
      ['ARCH', 'PARAMS', 'TRAINABLE', 'GFLOPS'],
      ...models.map((model) => [
        model.arch,
        count(model.params),
        count(model.trainableParams),
        model.forwardGflops.toFixed(3),
      ]),
    ];
    const compute = await selectBackend('auto', { log: () => undefined });
    console.log(`Model zoo at ${inputSize}×${inputSize}×3, ${classes} classes:`);
    for (const row of rows) {
      console.log(row.map((cell, column) => (column === 0 ? cell.padEnd(14) : cell.padStart(12))).join('  '));
    }
    console.log(`\ncompute backend: ${compute.backend} — ${compute.detail}`);
    return 0;
  },
};
