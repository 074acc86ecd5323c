/**
 * Peak memory of a worker decoding a run's dataset: one child process per input size decodes
 * Fashion-MNIST exactly as a training worker does (loadRunDataset for a zoo model at that size, with
 * dataset.subset), builds one training batch, and prints its peak RSS (VmHWM) and the bytes the decoded
 * dataset holds.
 *
 *   node --import tsx bench/dataset-memory.ts [--sizes 32,64,224] [--subset 1000] [--arch mobilenet_v2]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '32,64,224' },
    subset: { type: 'string', default: '1000' },
    arch: { type: 'string', default: 'mobilenet_v2' },
    child: { type: 'string' },
  },
});

function peakRssMb(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return Number(match?.[1]) / 1024;
}

async function measure(size: number): Promise<void> {
  const tf = await import('@tensorflow/tfjs');
  const { selectBackend } = await import('../ml/backend');
  const { parseRunConfig } = await import('../amto');
  const { loadRunDataset } = await import('../activities/run-dataset');
  const { datasetBytes, gatherBatch } = await import('../ml/datasets');
  await selectBackend('auto', { log: () => undefined });
  const parsed = parseRunConfig({
    seed: 1,
    dataset: { kind: 'fashion-mnist', subset: Number(values.subset) },
    model: { arch: values.arch, inputSize: size },
  });
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  const baseline = peakRssMb();
  const splits = await loadRunDataset(parsed.config, null as never, '/nonexistent');
  const batch = gatherBatch(
    splits.train,
    Array.from({ length: 64 }, (_, i) => i),
  );
  const shape = batch.images.shape.join('×');
  tf.dispose([batch.images, batch.labels]);
  const held = datasetBytes(splits.train) + (splits.test === null ? 0 : datasetBytes(splits.test));
  console.log(
    JSON.stringify({ size, batch: shape, heldMb: held / 2 ** 20, baselineMb: baseline, peakMb: peakRssMb() }),
  );
}

function main(): void {
  console.log(`Fashion-MNIST, ${values.arch}, dataset.subset ${values.subset}, backend auto`);
  console.log('| input | batch | dataset held MB | peak RSS before decode MB | peak RSS MB |');
  console.log('|---|---|---|---|---|');
  for (const size of (values.sizes ?? '').split(',').map(Number)) {
    const out = execFileSync(
      process.execPath,
      [
        ...process.execArgv,
        __filename,
        '--child',
        String(size),
        '--subset',
        String(values.subset),
        '--arch',
        String(values.arch),
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const row = JSON.parse(out.trim().split('\n').pop() as string) as Record<string, number | string>;
    const mb = (key: string): string => (row[key] as number).toFixed(0);
    console.log(`| ${size}² | ${row['batch']} | ${mb('heldMb')} | ${mb('baselineMb')} | ${mb('peakMb')} |`);
  }
}

if (values.child === undefined) main();
else
  measure(Number(values.child)).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
