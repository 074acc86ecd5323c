/**
 * The graph engine against PyTorch at equal threads, side by side in one run: milliseconds per training
 * step of each zoo model (batch 64, random data, softmax cross-entropy, Nesterov SGD) on amto's graph
 * engine (the whole step as one TensorFlow graph, run through trainSteps as training runs it) and in
 * eager PyTorch (bench/graph-engine-torch-peer.py in the reference venv, infra/reference-python.sh).
 * A ratio above 1 means the graph engine is faster.
 *
 *   node --import tsx bench/graph-engine.ts [--models a,b] [--threads N] [--steps N] [--json]
 *
 * TensorFlow's thread pools are per process, so one run measures one thread count (default 2).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { selectBackend } from '../ml/backend';
import { GraphEngine } from '../ml/graph-engine/graph-engine';
import { buildModel, isModelArch, MODEL_ARCHS, type ModelArch } from '../ml/models';
import { createOptimizer, trainSteps } from '../ml/training';
import { randomImageDataset } from '../test/unit/ml/random-image-dataset';
import { BENCH_INPUT_SHAPES } from './input-shapes';

const BATCH = 64;
const CLASSES = 10;
const WARMUP = 2;
const INPUT_SHAPES = BENCH_INPUT_SHAPES;

interface Options {
  models: ModelArch[];
  threads: number;
  steps: number;
  json: boolean;
}

interface Row {
  model: ModelArch;
  input: [number, number, number];
  threads: number;
  graphMs: number;
  graphCpuMs: number;
  torchMs: number;
  torchCpuMs: number;
  /** PyTorch's wall time over the graph engine's: above 1, amto is faster. */
  ratio: number;
}

const USAGE = 'usage: bench/graph-engine.ts [--models a,b] [--threads N] [--steps N] [--json]';

function parseOptions(args: string[]): Options {
  const options: Options = { models: [...MODEL_ARCHS], threads: 2, steps: 10, json: false };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    const value = (): string => {
      const next = args[++i];
      if (next === undefined) throw new Error(`${flag} needs a value; ${USAGE}`);
      return next;
    };
    const positive = (text: string): number => {
      const number = Number(text);
      if (!Number.isInteger(number) || number < 1)
        throw new Error(`${flag} must be a positive integer; got '${text}'`);
      return number;
    };
    if (flag === '--json') options.json = true;
    else if (flag === '--threads') options.threads = positive(value());
    else if (flag === '--steps') options.steps = positive(value());
    else if (flag === '--models') {
      options.models = value()
        .split(',')
        .map((name) => {
          if (!isModelArch(name))
            throw new Error(`--models: unknown model '${name}'; choose from ${MODEL_ARCHS.join(', ')}`);
          return name;
        });
    } else throw new Error(`unknown argument '${flag}'; ${USAGE}`);
  }
  return options;
}

async function graphEngineStep(
  arch: ModelArch,
  steps: number,
  threads: number,
): Promise<{ ms: number; cpuMs: number }> {
  const [height, width, channels] = INPUT_SHAPES[arch];
  const model = buildModel({ arch, inputShape: INPUT_SHAPES[arch], classes: CLASSES });
  const optimizer = createOptimizer({ learningRate: 1e-3, momentum: 0.9, nesterov: true });
  const engine = GraphEngine.create(model, optimizer, { threads });
  const n = BATCH * 2;
  const data = randomImageDataset({ n, height, width, channels, numClasses: CLASSES, seed: 1 });
  const run = {
    model,
    optimizer,
    data,
    batches: (step: number) => Array.from({ length: BATCH }, (_, i) => (step * BATCH + i) % n),
    lrAt: () => 1e-3,
    flip: false,
    seed: 1,
    task: 0,
    engine,
  };
  try {
    await trainSteps({ ...run, fromStep: 0, steps: WARMUP });
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    await trainSteps({ ...run, fromStep: WARMUP, steps });
    const cpu = process.cpuUsage(cpuStart);
    return { ms: (performance.now() - start) / steps, cpuMs: (cpu.user + cpu.system) / 1000 / steps };
  } finally {
    engine.dispose();
    optimizer.dispose();
    model.dispose();
  }
}

function torchStep(arch: ModelArch, steps: number, threads: number): { ms: number; cpuMs: number } {
  const root = join(__dirname, '..');
  const venv = execFileSync('bash', [join(root, 'infra', 'reference-python.sh')], {
    encoding: 'utf8',
  }).trim();
  const output = execFileSync(
    join(venv, 'bin', 'python'),
    [
      join(root, 'bench', 'graph-engine-torch-peer.py'),
      ...['--model', arch, '--batch', String(BATCH), '--input', INPUT_SHAPES[arch].join(',')],
      ...[
        '--classes',
        String(CLASSES),
        '--threads',
        String(threads),
        '--steps',
        String(steps),
        '--warmup',
        String(WARMUP),
      ],
    ],
    { encoding: 'utf8' },
  );
  const result = JSON.parse(output.trim().split('\n').pop() as string) as {
    msPerStep: number;
    cpuMsPerStep: number;
  };
  return { ms: result.msPerStep, cpuMs: result.cpuMsPerStep };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  // Batches are gathered and dropout masks drawn by tfjs; WASM keeps that side quick.
  await selectBackend('wasm', { log: () => undefined });
  const rows: Row[] = [];
  for (const model of options.models) {
    const graph = await graphEngineStep(model, options.steps, options.threads);
    const torch = torchStep(model, options.steps, options.threads);
    const row: Row = {
      model,
      input: INPUT_SHAPES[model],
      threads: options.threads,
      graphMs: graph.ms,
      graphCpuMs: graph.cpuMs,
      torchMs: torch.ms,
      torchCpuMs: torch.cpuMs,
      ratio: torch.ms / graph.ms,
    };
    rows.push(row);
    if (!options.json) {
      console.log(
        `| ${model} | ${row.input.join('×')} | ${options.threads} | ${row.graphMs.toFixed(1)} (${row.graphCpuMs.toFixed(1)} cpu) | ${row.torchMs.toFixed(1)} (${row.torchCpuMs.toFixed(1)} cpu) | ${row.ratio.toFixed(2)}× |`,
      );
    }
  }
  if (options.json) console.log(JSON.stringify(rows, null, 2));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
