import { basename, dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadEnvironment } from '../../infra/environment';
import { isModelArch, MODEL_ARCHS, registerFileRouter, type ModelArch } from '../../ml/models';
import { importWeights, type ImportReport } from '../../ml/weights-import';
import { registerS3Router } from '../../storage/s3-io-handler';
import { objectStoreFor } from '../../workers/create-deps';
import { parseCommandArgs, type Command } from '../command';
import { integerFlag } from '../run-config-file';
import { UsageError } from '../usage-error';

const usage = `Usage: amto import-weights <file> --arch ARCH [--width-multiplier W] [--input-size 224]
                           [--channels 3] [--classes N] [--out file://DIR | s3://BUCKET/KEY] [--json]

Imports a Keras Applications weights file (.h5, .keras) or a torchvision checkpoint (.pth, .safetensors)
into the model zoo, matching every tensor by name, and writes a tfjs model (model.json + weights.bin)
that model.pretrained can name. A config can also name the weights file itself (file://…); this
command checks it once and stores the converted model where every worker can read it.

  --arch              ${MODEL_ARCHS.filter((arch) => arch !== 'small-cnn').join(', ')}
  --width-multiplier  the width the file was saved at (MobileNetV2's alpha; default 1)
  --input-size        square input side of the written model (default 224; weights do not depend on it)
  --channels          input channels (default 3)
  --classes           classes of the written model (default: the file's; another count gets a new head)
  --out               where to write (default file://<file's folder>/<file's name>-amto)
  --json              print the import report as JSON`;

export const importWeightsCommand: Command = {
  name: 'import-weights',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(this, argv, {
      arch: { type: 'string' },
      'width-multiplier': { type: 'string' },
      'input-size': { type: 'string' },
      channels: { type: 'string' },
      classes: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (positionals.length !== 1)
      throw new UsageError(`amto import-weights: expected one <file>\n\n${usage}`);
    const file = resolve(positionals[0] as string);
    const arch = archFlag(values.arch);
    const widthMultiplier = widthFlag(values['width-multiplier']);
    const inputSize = integerFlag('input-size', values['input-size'], 8) ?? 224;
    const channels = integerFlag('channels', values.channels, 1) ?? 3;
    const classes = integerFlag('classes', values.classes, 2);
    const out =
      values.out ?? pathToFileURL(join(dirname(file), `${basename(file, extname(file))}-amto`)).href;
    if (!out.startsWith('file://') && !out.startsWith('s3://')) {
      throw new UsageError(`--out must be a file:// or s3:// URL (got "${out}")`);
    }

    const { model, report } = await importWeights(file, {
      arch,
      widthMultiplier,
      inputShape: [inputSize, inputSize, channels],
      classes,
    });
    try {
      if (out.startsWith('s3://')) registerS3Router(objectStoreFor(loadEnvironment()));
      else registerFileRouter();
      await model.save(out);
    } finally {
      model.dispose();
    }
    if (values.json) console.log(JSON.stringify({ ...report, out }));
    else console.log(describe(report, out));
    return 0;
  },
};

function archFlag(value: string | undefined): ModelArch {
  if (value === undefined || !isModelArch(value)) {
    throw new UsageError(
      `--arch must be one of ${MODEL_ARCHS.join(', ')} (got ${value === undefined ? 'nothing' : `"${value}"`})`,
    );
  }
  return value;
}

function widthFlag(value: string | undefined): number {
  if (value === undefined) return 1;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) {
    throw new UsageError(`--width-multiplier must be a positive number (got "${value}")`);
  }
  return parsed;
}

function describe(report: ImportReport, out: string): string {
  const head =
    report.head === 'kept'
      ? `classifier kept (${report.classes} classes)`
      : `new classifier for ${report.classes} classes (${
          report.fileClasses === null ? 'the file has none' : `the file's has ${report.fileClasses}`
        })`;
  return [
    `Imported ${report.file} (${report.format}) into ${report.arch}, ${report.variant} variant, ` +
      `widthMultiplier ${report.widthMultiplier}: ${report.tensorsMapped} tensors, ` +
      `${report.valuesMapped.toLocaleString('en-US')} values; ${head}.`,
    ...(report.skipped.length > 0
      ? [`Not used: ${report.skipped.length} tensors (${summarise(report.skipped)}).`]
      : []),
    `Wrote ${out} — use it as "model": { "arch": "${report.arch}", "pretrained": "${out}" }` +
      (report.widthMultiplier === 1 ? '' : ` with "widthMultiplier": ${report.widthMultiplier}`),
  ].join('\n');
}

function summarise(names: string[]): string {
  return names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')}, …`;
}
