import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { ModelArch } from '../ml/models';
import { BENCH_INPUT_SHAPES } from './input-shapes';

/** One model's training step in a peer framework (bench/reference-peers.py). */
export interface PeerResult {
  model: ModelArch;
  framework: 'pytorch' | 'tf-function';
  steps: number;
  msPerStep: number;
  cpuMsPerStep: number;
}

/**
 * The same steps in PyTorch (eager) and TensorFlow graph mode (Keras model under tf.function), at the
 * benches' input sizes, in the reference virtualenv (infra/reference-python.sh, built once, several GB).
 */
export function runReferencePeers(
  models: readonly ModelArch[],
  options: { threads: number; steps: number },
): PeerResult[] {
  if (models.length === 0) return [];
  const root = join(__dirname, '..');
  const venv = spawnSync('bash', [join(root, 'infra', 'reference-python.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (venv.status !== 0)
    throw new Error('bench: could not build the reference Python environment (see above)');
  const peers = spawnSync(
    join(venv.stdout.trim(), 'bin', 'python'),
    [
      join(root, 'bench', 'reference-peers.py'),
      '--threads',
      String(options.threads),
      '--steps',
      String(options.steps),
      '--models',
      models.map((model) => `${model}:${BENCH_INPUT_SHAPES[model].join('x')}`).join(','),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 16 * 1024 * 1024 },
  );
  if (peers.status !== 0) throw new Error(`bench: the reference peers failed (exit ${peers.status})`);
  return peers.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as PeerResult);
}
