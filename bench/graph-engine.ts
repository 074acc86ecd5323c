/**
 * The graph engine against PyTorch and TF tf.function at equal threads, side by side in one run:
 * milliseconds per training step of each zoo model (batch 64, random data, softmax cross-entropy,
 * Nesterov SGD) on amto's graph engine (the whole step as one TensorFlow graph, run through trainSteps as
 * training runs it) and, right after each model, in eager PyTorch and in a Keras model under tf.function
 * (bench/reference-peers.py in the reference venv, infra/reference-python.sh, the peers of
 * bench/throughput.ts). A ratio above 1 means the graph engine is faster; CPU-time ratios beside the
 * wall-time ones (the steadier measure on a shared machine). The graph engine's steps are timed inside
 * one trainSteps call, as within an interval's chunk; what a call costs besides its steps (loading the
 * model's state into the graph, storing it back) is its own column.
 *
 *   node --import tsx bench/graph-engine.ts [--models a,b] [--threads N] [--steps N] [--json]
 *
 * TensorFlow's thread pools are per process, so one run measures one thread count (default 1).
 */
import { selectBackend } from '../ml/backend';
import { GraphEngine } from '../ml/graph-engine/graph-engine';
import { buildModel, MODEL_ARCHS, type ModelArch } from '../ml/models';
import { createOptimizer, trainSteps } from '../ml/training';
import { randomImageDataset } from '../test/unit/ml/random-image-dataset';
import { BenchArgs } from './bench-args';
import { BENCH_INPUT_SHAPES } from './input-shapes';
import { runReferencePeers, type PeerResult } from './reference-peers';

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

interface Timing {
  ms: number;
  cpuMs: number;
}

interface Row {
  model: ModelArch;
  input: [number, number, number];
  threads: number;
  graph: Timing;
  /** The graph engine's cost per trainSteps call, beside the per-step figures. */
  graphPerCall: Timing;
  pytorch: Timing;
  tfFunction: Timing;
}

const USAGE = 'usage: bench/graph-engine.ts [--models a,b] [--threads N] [--steps N] [--json]';

function parseOptions(args: string[]): Options {
  const options: Options = { models: [...MODEL_ARCHS], threads: 1, steps: 10, json: false };
  const reader = new BenchArgs(args, USAGE);
  for (let flag = reader.nextFlag(); flag !== undefined; flag = reader.nextFlag()) {
    if (flag === '--json') options.json = true;
    else if (flag === '--threads') options.threads = reader.positiveInteger(flag);
    else if (flag === '--steps') options.steps = reader.positiveInteger(flag);
    else if (flag === '--models') options.models = reader.models(flag);
    else throw reader.unknown(flag);
  }
  return options;
}

interface GraphTiming {
  /** A training step inside an interval: batch gathering, feeds, one TF_SessionRun. */
  step: Timing;
  /** Once per trainSteps call (an interval's chunk): loading the state into the graph, storing it back. */
  perCall: Timing;
}

function now(): Timing {
  const cpu = process.cpuUsage();
  return { ms: performance.now(), cpuMs: (cpu.user + cpu.system) / 1000 };
}

function perStep(from: Timing, to: Timing, steps: number): Timing {
  return { ms: (to.ms - from.ms) / steps, cpuMs: (to.cpuMs - from.cpuMs) / steps };
}

/**
 * One trainSteps call of 1 + `steps` steps: the steps after the first are timed between progress reports,
 * and the rest of the call (load, first step, store, finite check) less one step is the per-call cost.
 */
async function graphEngineStep(arch: ModelArch, steps: number, threads: number): Promise<GraphTiming> {
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
    const marks: Timing[] = [];
    const start = now();
    await trainSteps({
      ...run,
      fromStep: WARMUP,
      steps: steps + 1,
      onProgress: (done) => {
        if (done === 1 || done === steps + 1) marks.push(now());
      },
    });
    const end = now();
    const [first, last] = marks as [Timing, Timing];
    const step = perStep(first, last, steps);
    const call = perStep(start, end, 1);
    return {
      step,
      perCall: { ms: call.ms - (steps + 1) * step.ms, cpuMs: call.cpuMs - (steps + 1) * step.cpuMs },
    };
  } finally {
    engine.dispose();
    optimizer.dispose();
    model.dispose();
  }
}

function peerTiming(peers: PeerResult[], framework: PeerResult['framework']): Timing {
  const peer = peers.find((p) => p.framework === framework);
  if (peer === undefined) throw new Error(`bench: the reference peers gave no ${framework} result`);
  return { ms: peer.msPerStep, cpuMs: peer.cpuMsPerStep };
}

/** "wall× / cpu×": the peer's time over the graph engine's. */
function ratios(peer: Timing, graph: Timing): string {
  return `${(peer.ms / graph.ms).toFixed(2)}× / ${(peer.cpuMs / graph.cpuMs).toFixed(2)}×`;
}

function timing(value: Timing): string {
  return `${value.ms.toFixed(1)} (${value.cpuMs.toFixed(1)} cpu)`;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  // Batches are gathered and dropout masks drawn by tfjs; WASM keeps that side quick.
  await selectBackend('wasm', { log: () => undefined });
  const rows: Row[] = [];
  if (!options.json) {
    console.log(
      '| model | input | threads | graph engine ms/step | PyTorch ms/step | tf.function ms/step | ÷ PyTorch (wall / cpu) | ÷ tf.function (wall / cpu) | graph engine ms per trainSteps call (load + store) |',
    );
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  }
  for (const model of options.models) {
    const graph = await graphEngineStep(model, options.steps, options.threads);
    const peers = runReferencePeers([model], options);
    const row: Row = {
      model,
      input: INPUT_SHAPES[model],
      threads: options.threads,
      graph: graph.step,
      graphPerCall: graph.perCall,
      pytorch: peerTiming(peers, 'pytorch'),
      tfFunction: peerTiming(peers, 'tf-function'),
    };
    rows.push(row);
    if (!options.json) {
      console.log(
        `| ${model} | ${row.input.join('×')} | ${row.threads} | ${timing(row.graph)} | ${timing(row.pytorch)} | ${timing(row.tfFunction)} | ${ratios(row.pytorch, row.graph)} | ${ratios(row.tfFunction, row.graph)} | ${timing(row.graphPerCall)} |`,
      );
    }
  }
  if (options.json) console.log(JSON.stringify(rows, null, 2));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
