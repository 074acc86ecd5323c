/**
 * Per-kernel timing of the project's WASM gradient kernels on shapes from the model zoo's training
 * steps (batch 64): each replaced kernel against tfjs-backend-wasm's own, each added kernel against
 * the forward convolution it differentiates. Times are CPU milliseconds of this process per call,
 * which other work on the machine disturbs less than wall time.
 *
 *   node --import tsx bench/wasm-kernels.ts [--json] [--repeats N]
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { selectBackend } from '../ml/backend';

interface KernelCall {
  label: string;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  attrs: tf.NamedAttrMap;
  /** A forward op to compare an added kernel with (replaced kernels compare with the backend's own). */
  forward?: () => tf.Tensor;
}

const USAGE = 'usage: bench/wasm-kernels.ts [--json] [--repeats N]';

function kernelCalls(): KernelCall[] {
  const normal = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);
  const calls: KernelCall[] = [];
  const conv = (
    xShape: number[],
    filterShape: number[],
    strides: number,
    pad: 'same' | 'valid',
    depthwise: boolean,
  ) => {
    const x = normal(xShape, 1) as tf.Tensor4D;
    const filter = normal(filterShape, 2) as tf.Tensor4D;
    const forward = () =>
      depthwise ? tf.depthwiseConv2d(x, filter, strides, pad) : tf.conv2d(x, filter, strides, pad);
    const dy = forward();
    const shape = `x ${xShape.join('×')}, filter ${filterShape.join('×')}, stride ${strides}, ${pad}`;
    const prefix = depthwise ? 'DepthwiseConv2dNative' : 'Conv2D';
    const common: tf.NamedAttrMap = depthwise
      ? { strides, pad, dilations: 1 }
      : { strides, pad, dataFormat: 'NHWC' };
    calls.push({
      label: shape,
      kernelName: `${prefix}BackpropInput`,
      inputs: { dy, filter },
      attrs: { ...common, inputShape: xShape },
      forward,
    });
    calls.push({
      label: shape,
      kernelName: `${prefix}BackpropFilter`,
      inputs: { x, dy },
      attrs: { ...common, filterShape },
      forward,
    });
  };
  conv([64, 14, 14, 32], [3, 3, 32, 64], 1, 'same', false);
  conv([64, 8, 8, 512], [1, 1, 512, 128], 1, 'valid', false);
  conv([64, 16, 16, 96], [3, 3, 96, 1], 1, 'same', true);
  conv([64, 16, 16, 96], [3, 3, 96, 1], 2, 'same', true);
  for (const [shape, size, strides] of [
    [[64, 28, 28, 32], 2, 2],
    [[64, 31, 31, 64], 3, 2],
  ] as const) {
    const x = normal([...shape], 3) as tf.Tensor4D;
    const y = tf.maxPool(x, size, strides, 'valid');
    const label = `x ${shape.join('×')}, ${size}×${size} window, stride ${strides}, valid`;
    const attrs = { filterSize: size, strides, pad: 'valid' };
    calls.push({
      label,
      kernelName: 'MaxPoolGrad',
      inputs: { dy: normal(y.shape, 4), input: x, output: y },
      attrs,
    });
    calls.push({ label, kernelName: 'AvgPoolGrad', inputs: { dy: normal(y.shape, 5), input: x }, attrs });
  }
  const activations = normal([64, 28, 28, 32], 6);
  calls.push({
    label: 'x 64×28×28×32 over N,H,W',
    kernelName: 'Sum',
    inputs: { x: activations },
    attrs: { axis: [0, 1, 2], keepDims: false },
  });
  calls.push({
    label: 'x 64×28×28×32 over N,H,W',
    kernelName: 'Mean',
    inputs: { x: activations },
    attrs: { axis: [0, 1, 2], keepDims: true },
  });
  calls.push({
    label: '1×1×1×32 to 64×28×28×32',
    kernelName: 'Tile',
    inputs: { x: normal([1, 1, 1, 32], 7) },
    attrs: { reps: [64, 28, 28, 1] },
  });
  const features = normal([64, 1024], 8);
  const outputGradient = normal([64, 10], 9);
  const weights = normal([1024, 10], 10);
  calls.push({
    label: 'Dense dW: 1024×64 · 64×10',
    kernelName: 'BatchMatMul',
    inputs: { a: features, b: outputGradient },
    attrs: { transposeA: true, transposeB: false },
  });
  calls.push({
    label: 'Dense dx: 64×10 · 10×1024',
    kernelName: 'BatchMatMul',
    inputs: { a: outputGradient, b: weights },
    attrs: { transposeA: false, transposeB: true },
  });
  return calls;
}

/** CPU milliseconds per call of `run`, after one untimed call; `run` returns what to free. */
function cpuMsPerCall(repeats: number, run: () => () => void): number {
  run()();
  const start = process.cpuUsage();
  for (let i = 0; i < repeats; i++) run()();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000 / repeats;
}

function parseOptions(args: string[]): { json: boolean; repeats: number } {
  const options = { json: false, repeats: 10 };
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--json') {
      options.json = true;
    } else if (args[i] === '--repeats') {
      const repeats = Number(args[++i]);
      if (!Number.isInteger(repeats) || repeats < 1)
        throw new Error(`--repeats must be a positive integer; ${USAGE}`);
      options.repeats = repeats;
    } else {
      throw new Error(`unknown argument '${args[i]}'; ${USAGE}`);
    }
  }
  return options;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  await selectBackend('cpu', { log: () => undefined });
  // Capture the backend's own kernels before selecting wasm registers the project's replacements.
  await import('@tensorflow/tfjs-backend-wasm');
  const nativeKernels = new Map(
    tf.getKernelsForBackend('wasm').map((config) => [config.kernelName, config.kernelFunc]),
  );
  await selectBackend('wasm', { log: () => undefined });
  const backend = tf.backend() as BackendWasm;
  const rows: string[][] = [];
  for (const call of kernelCalls()) {
    const invoke = (kernelFunc: tf.KernelFunc) => () => {
      const output = kernelFunc({ inputs: call.inputs, backend, attrs: call.attrs }) as tf.TensorInfo;
      return () => backend.disposeData(output.dataId);
    };
    const ours = cpuMsPerCall(options.repeats, invoke(tf.getKernel(call.kernelName, 'wasm')!.kernelFunc));
    const native = nativeKernels.get(call.kernelName);
    const baselineName = native ? 'tfjs-backend-wasm kernel' : 'forward op';
    const baseline = native
      ? cpuMsPerCall(options.repeats, invoke(native))
      : cpuMsPerCall(options.repeats, () => {
          const output = call.forward!();
          return () => output.dispose();
        });
    if (options.json) {
      console.log(
        JSON.stringify({
          kernel: call.kernelName,
          shape: call.label,
          cpuMs: ours,
          baseline: baselineName,
          baselineCpuMs: baseline,
        }),
      );
    }
    rows.push([call.kernelName, call.label, ours.toFixed(1), `${baseline.toFixed(1)} (${baselineName})`]);
  }
  if (options.json) return;
  const header = ['kernel', 'shape', 'project kernel, CPU ms', 'baseline, CPU ms'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(
    [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n'),
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
