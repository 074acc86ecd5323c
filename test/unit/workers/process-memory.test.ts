import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { processMemory } from '../../../workers/process-memory';

test('process memory counts the tensors alive and the RSS in MB', async () => {
  await tf.setBackend('cpu');
  const before = processMemory();
  const tensor = tf.zeros([256, 1024]);
  const during = processMemory();
  tensor.dispose();
  assert.equal(during.tensors, before.tensors + 1);
  assert.equal(Math.round((during.tensorMb - before.tensorMb) * 10), 10, 'one MB of float32');
  assert.equal(processMemory().tensors, before.tensors);
  assert.ok(during.rssMb > 10 && during.rssMb < 100_000, `RSS ${during.rssMb} MB`);
});
