import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { selectBackend, type BackendRequest } from '../../../ml/backend';
import { addedWasmKernelNames } from '../../../ml/kernels/register-wasm-gradient-kernels';

const TFJS_NODE_GPU = '@tensorflow/tfjs-node-gpu';

function tfjsNodeGpuInstalled(): boolean {
  try {
    require.resolve(TFJS_NODE_GPU);
    return true;
  } catch {
    return false;
  }
}

describe('selectBackend', () => {
  let previousBackend = 'cpu';
  before(() => {
    previousBackend = tf.getBackend() ?? 'cpu';
  });
  after(async () => {
    await tf.setBackend(previousBackend);
  });

  test('auto takes tfjs-node-gpu when installed, else WASM, and says why tensorflow was skipped', async () => {
    const lines: string[] = [];
    const selection = await selectBackend('auto', { log: (line) => lines.push(line) });
    if (tfjsNodeGpuInstalled()) {
      assert.equal(selection.backend, 'tensorflow');
    } else {
      assert.equal(selection.backend, 'wasm');
      assert.match(selection.detail, /tensorflow skipped: @tensorflow\/tfjs-node-gpu is not installed/);
      assert.match(selection.detail, /SIMD/);
    }
    assert.equal(tf.getBackend(), selection.backend);
    assert.equal(lines.length, 1);
    assert.ok(!lines[0]?.includes('\n'), 'the choice is logged as one line');
    assert.ok(lines[0]?.includes(selection.backend));
  });

  test('an explicit tensorflow request fails clearly when the package is missing', async () => {
    if (tfjsNodeGpuInstalled()) {
      assert.equal((await selectBackend('tensorflow', { log: () => undefined })).backend, 'tensorflow');
      return;
    }
    await assert.rejects(selectBackend('tensorflow', { log: () => undefined }), (error: Error) => {
      assert.match(error.message, /Compute backend 'tensorflow' is not available/);
      assert.match(error.message, /@tensorflow\/tfjs-node-gpu is not installed/);
      assert.match(error.message, new RegExp(`npm install @tensorflow/tfjs-node-gpu@${tf.version_core}`));
      return true;
    });
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
