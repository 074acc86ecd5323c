import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { selectBackend, type BackendRequest } from '../../../ml/backend';
import { addedWasmKernelNames } from '../../../ml/kernels/register-wasm-gradient-kernels';

describe('selectBackend', () => {
  let previousBackend = 'cpu';
  before(() => {
    previousBackend = tf.getBackend() ?? 'cpu';
  });
  after(async () => {
    await tf.setBackend(previousBackend);
  });

  // setup (npm test runs it) builds the native addon: auto must take it, as a user's worker does.
  test('auto takes native TensorFlow and says which build, version and threads in one line', async () => {
    const lines: string[] = [];
    const selection = await selectBackend('auto', { log: (line) => lines.push(line), threads: 1 });
    assert.equal(selection.backend, 'tensorflow');
    assert.match(
      selection.detail,
      /@tensorflow\/tfjs-node on TensorFlow 2\.21\.0, CPU, 1 intra-op thread, deterministic ops/,
    );
    assert.equal(tf.getBackend(), 'tensorflow');
    assert.equal(process.env.TF_NUM_INTRAOP_THREADS, '1');
    assert.equal(lines.length, 1);
    assert.ok(!lines[0]?.includes('\n'), 'the choice is logged as one line');
    assert.ok(lines[0]?.startsWith('compute backend: tensorflow — '));
  });

  test('the native backend computes with TensorFlow 2.21 kernels and agrees with the CPU backend', async () => {
    await selectBackend('tensorflow', { log: () => undefined });
    const binding = (tf.backend() as unknown as { binding: { TF_Version: string } }).binding;
    assert.equal(binding.TF_Version, '2.21.0');
    const x = tf.tensor4d(
      Float32Array.from({ length: 2 * 5 * 5 * 3 }, (_, i) => Math.sin(i)),
      [2, 5, 5, 3],
    );
    const k = tf.tensor4d(
      Float32Array.from({ length: 3 * 3 * 3 * 4 }, (_, i) => Math.cos(i)),
      [3, 3, 3, 4],
    );
    const native = await tf.conv2d(x, k, 1, 'same').data();
    await tf.setBackend('cpu');
    const xCpu = tf.tensor4d(await x.data(), x.shape);
    const kCpu = tf.tensor4d(await k.data(), k.shape);
    const reference = await tf.conv2d(xCpu, kCpu, 1, 'same').data();
    assert.equal(native.length, reference.length);
    native.forEach((value, i) => assert.ok(Math.abs(value - (reference[i] ?? NaN)) < 1e-4, `element ${i}`));
    tf.dispose([xCpu, kCpu]);
    await tf.setBackend('tensorflow');
    tf.dispose([x, k]);
  });

  test('wasm registers the gradient kernels and repeated selection is a quiet no-op', async () => {
    const lines: string[] = [];
    const log = (line: string) => lines.push(line);
    await selectBackend('cpu', { log });
    const first = await selectBackend('wasm', { log });
    const second = await selectBackend('wasm', { log });
    assert.deepEqual(second, first);
    assert.equal(tf.getBackend(), 'wasm');
    assert.equal(lines.filter((line) => line.includes('compute backend: wasm')).length, 1);
    for (const kernelName of addedWasmKernelNames) {
      assert.ok(tf.getKernel(kernelName, 'wasm'), `${kernelName} is registered for wasm`);
    }
    // The backend computes after selection (the .wasm binary came from node_modules, nothing downloaded).
    assert.deepEqual(Array.from(tf.square(tf.tensor1d([2, -3])).dataSync()), [4, 9]);
  });

  test('cpu can be selected and switched back from', async () => {
    const selection = await selectBackend('cpu', { log: () => undefined });
    assert.deepEqual(selection, { backend: 'cpu', detail: 'plain JavaScript CPU backend (slow)' });
    assert.equal(tf.getBackend(), 'cpu');
    await selectBackend('wasm', { log: () => undefined });
    assert.equal(tf.getBackend(), 'wasm');
  });

  test('an unknown request names the choices', async () => {
    await assert.rejects(
      selectBackend('webgpu' as BackendRequest),
      /Unknown compute backend "webgpu"; choose one of auto, tensorflow, wasm, cpu/,
    );
  });
});
