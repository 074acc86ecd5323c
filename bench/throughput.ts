/**
 * Training throughput of the model zoo on each available TensorFlow.js backend: milliseconds per
 * Nesterov-SGD step (softmax cross-entropy, batch 64, random data) and GFLOP/s, counting a training
 * step as 3× the forward FLOPs; beside them, in the same run and at the same thread count, the peers
 * (PyTorch eager, TensorFlow graph mode: bench/reference-peers.py in the reference virtualenv) and the
 * ratio of native TensorFlow's throughput to each. Also reports how many times faster the WASM backend
 * trains small-cnn than the plain CPU backend.
 *
 *   node --import tsx bench/throughput.ts [--json] [--models a,b] [--backends wasm,cpu] [--steps N] [--cpu-steps N]
 *                                         [--threads N] [--no-peers]
 *
 * Without --models/--backends every model runs on every backend that starts here, except that the CPU
 * backend (minutes per step) runs small-cnn only. --steps sets the timed steps of the fast backends
 * (default 5), each pair first running one untimed step; the CPU backend times --cpu-steps steps
 * (default 1) without a warm-up, which would only double a run whose one-time costs are negligible.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendName } from '../ml/backend';
import { buildModel, forwardFlops, MODEL_ARCHS, withDropoutSeed, type ModelArch } from '../ml/models';
import { createOptimizer, softmaxCrossEntropy } from '../ml/training';
import { BenchArgs } from './bench-args';
import { BENCH_INPUT_SHAPES } from './input-shapes';
import { runReferencePeers, type PeerResult } from './reference-peers';

const BATCH = 64;
const CLASSES = 10;
const DEFAULT_STEPS = 5;
const DEFAULT_CPU_STEPS = 1;
const BACKENDS: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];
const INPUT_SHAPES = BENCH_INPUT_SHAPES;

interface Options {
  json: boolean;
  models: ModelArch[] | undefined;
  backends: BackendName[] | undefined;
  steps: number;
  cpuSteps: number;
  /** Intra-op threads of native TensorFlow and of the peers. */
  threads: number;
  peers: boolean;
}

interface ThroughputResult {
  model: ModelArch;
  backend: BackendName;
  batch: number;
  input: [number, number, number];
  steps: number;
  msPerStep: number;
  /** CPU time of this process per step: less disturbed than wall time when other work shares the cores. */
  cpuMsPerStep: number;
  gflops: number;
}

const USAGE =
  'usage: bench/throughput.ts [--json] [--models a,b] [--backends wasm,cpu] [--steps N] [--cpu-steps N] [--threads N] [--no-peers]';

function parseOptions(args: string[]): Options {
  const options: Options = {
    json: false,
    models: undefined,
    backends: undefined,
    steps: DEFAULT_STEPS,
    cpuSteps: DEFAULT_CPU_STEPS,
    threads: 1,
    peers: true,
  };
  const reader = new BenchArgs(args, USAGE);
  for (let flag = reader.nextFlag(); flag !== undefined; flag = reader.nextFlag()) {
    if (flag === '--json') {
      options.json = true;
    } else if (flag === '--models') {
      options.models = reader.models(flag);
    } else if (flag === '--backends') {
      options.backends = reader
        .value(flag)
        .split(',')
        .map((name) => {
          const backend = BACKENDS.find((b) => b === name);
          if (backend === undefined)
            throw new Error(`--backends: unknown backend '${name}'; choose from ${BACKENDS.join(', ')}`);
          return backend;
        });
    } else if (flag === '--steps') {
      options.steps = reader.positiveInteger(flag);
    } else if (flag === '--cpu-steps') {
      options.cpuSteps = reader.positiveInteger(flag);
    } else if (flag === '--threads') {
      options.threads = reader.positiveInteger(flag);
    } else if (flag === '--no-peers') {
      options.peers = false;
    } else {
      throw reader.unknown(flag);
    }
  }
  return options;
}

/** Backends that start here, in the order asked for; an explicitly requested one that cannot start is an error. */
async function startableBackends(
  requested: BackendName[] | undefined,
  threads: number,
): Promise<BackendName[]> {
  const available: BackendName[] = [];
  for (const backend of requested ?? BACKENDS) {
    try {
      await selectBackend(backend, { log: () => undefined, threads });
      available.push(backend);
    } catch (error) {
      if (requested !== undefined) throw error;
      console.error(`skipping backend ${backend}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return available;
}

async function measure(
  model: ModelArch,
  backend: BackendName,
  steps: number,
  warmUp: boolean,
): Promise<ThroughputResult> {
  await selectBackend(backend, { log: () => undefined });
  const input = INPUT_SHAPES[model];
  const network = buildModel({ arch: model, inputShape: input, classes: CLASSES, seed: 1 });
  const optimizer = createOptimizer({ learningRate: 1e-3, momentum: 0.9, nesterov: true });
  const images = tf.randomNormal([BATCH, ...input], 0, 1, 'float32', 1);
  const labels = tf.randomUniform([BATCH], 0, CLASSES, 'int32', 2) as tf.Tensor1D;
  const step = async (index: number): Promise<void> => {
    const loss = withDropoutSeed(index, () =>
      optimizer.minimize(
        () => tf.mean(softmaxCrossEntropy(network.apply(images, { training: true }) as tf.Tensor, labels)),
        true,
      ),
    );
    if (loss === null) throw new Error(`${model}: the optimizer returned no loss`);
    await loss.data(); // waits for the step to finish on asynchronous backends
    loss.dispose();
  };
  try {
    if (warmUp) await step(0); // untimed: builds the optimizer slots, warms the JIT and kernel caches
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    for (let i = 1; i <= steps; i++) await step(i);
    const msPerStep = (performance.now() - start) / steps;
    const cpu = process.cpuUsage(cpuStart);
    const trainingFlops = 3 * forwardFlops(network) * BATCH;
    return {
      model,
      backend,
      batch: BATCH,
      input,
      steps,
      msPerStep: round(msPerStep, 1),
      cpuMsPerStep: round((cpu.user + cpu.system) / 1000 / steps, 1),
      gflops: round(trainingFlops / (msPerStep / 1000) / 1e9, 3),
    };
  } finally {
    tf.dispose([images, labels]);
    optimizer.dispose();
    network.dispose();
  }
}

/**
 * One row per model: CPU ms per step of each engine and peer, and native TensorFlow's throughput as a
 * multiple of each peer's (CPU time: the fairest measure on a shared machine; wall time beside it).
 */
function formatComparison(results: ThroughputResult[], peers: PeerResult[], threads: number): string {
  const cpu = (value: { cpuMsPerStep: number; msPerStep: number } | undefined): string =>
    value === undefined ? '–' : `${value.cpuMsPerStep.toFixed(1)} (${value.msPerStep.toFixed(1)})`;
  const ratio = (peer: PeerResult | undefined, ours: ThroughputResult | undefined): string =>
    peer === undefined || ours === undefined ? '–' : `${(peer.cpuMsPerStep / ours.cpuMsPerStep).toFixed(2)}×`;
  const header = [
    'model',
    'wasm',
    'tensorflow',
    'pytorch',
    'tf.function',
    'tensorflow ÷ pytorch',
    'tensorflow ÷ tf.function',
  ];
  const rows = [...new Set(results.map((r) => r.model))].map((model) => {
    const of = (backend: BackendName) => results.find((r) => r.model === model && r.backend === backend);
    const peer = (framework: PeerResult['framework']) =>
      peers.find((p) => p.model === model && p.framework === framework);
    return [
      model,
      cpu(of('wasm')),
      cpu(of('tensorflow')),
      cpu(peer('pytorch')),
      cpu(peer('tf-function')),
      ratio(peer('pytorch'), of('tensorflow')),
      ratio(peer('tf-function'), of('tensorflow')),
    ];
  });
  return `CPU ms per step (wall ms in brackets), ${threads} thread${threads === 1 ? '' : 's'}; a ratio is throughput relative to the peer (> 1: amto is faster)\n${markdownTable(header, rows)}`;
}

function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

function formatTable(results: ThroughputResult[]): string {
  const header = ['model', 'backend', 'batch', 'input', 'steps', 'ms/step', 'cpu ms/step', 'GFLOP/s'];
  const rows = results.map((r) => [
    r.model,
    r.backend,
    String(r.batch),
    r.input.join('×'),
    String(r.steps),
    r.msPerStep.toFixed(1),
    r.cpuMsPerStep.toFixed(1),
    r.gflops.toFixed(3),
  ]);
  return markdownTable(header, rows);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const backends = await startableBackends(options.backends, options.threads);
  const explicitPlan = options.models !== undefined || options.backends !== undefined;
  const results: ThroughputResult[] = [];
  for (const backend of backends) {
    const steps = backend === 'cpu' ? options.cpuSteps : options.steps;
    const models =
      options.models ?? (backend === 'cpu' && !explicitPlan ? ['small-cnn' as const] : MODEL_ARCHS);
    for (const model of models) {
      const result = await measure(model, backend, steps, backend !== 'cpu');
      results.push(result);
      if (options.json) console.log(JSON.stringify(result));
      else console.error(`${model} on ${backend}: ${result.msPerStep} ms/step`);
    }
  }
  const peers = options.peers ? runReferencePeers([...new Set(results.map((r) => r.model))], options) : [];
  if (options.json) for (const peer of peers) console.log(JSON.stringify(peer));
  const wasm = results.find((r) => r.model === 'small-cnn' && r.backend === 'wasm');
  const cpu = results.find((r) => r.model === 'small-cnn' && r.backend === 'cpu');
  const speedup = wasm && cpu ? round(cpu.msPerStep / wasm.msPerStep, 1) : undefined;
  if (options.json) {
    if (speedup !== undefined)
      console.log(JSON.stringify({ comparison: 'small-cnn cpu/wasm ms per step', speedup }));
    return;
  }
  console.log(formatTable(results));
  if (peers.length > 0) console.log(`\n${formatComparison(results, peers, options.threads)}`);
  if (speedup !== undefined) console.log(`\nsmall-cnn: WASM trains ${speedup}× faster than the CPU backend`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
