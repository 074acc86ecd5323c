import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import type { io } from '@tensorflow/tfjs';

import {
  describeBytes,
  encodeManifest,
  entryMismatch,
  parseManifest,
  sha256Hex,
} from '../../../storage/manifest';
import type { Manifest } from '../../../storage/manifest';
import {
  decodeModelArtifacts,
  encodeModelArtifacts,
  joinWeightData,
} from '../../../storage/model-artifacts-codec';

const manifest = (files: Manifest['files']): Manifest => ({
  format: 'amto-manifest',
  version: 1,
  kind: 'checkpoint',
  files,
  attributes: { step: 3 },
});

describe('manifest', () => {
  test('sha256 is the standard digest', () => {
    assert.equal(
      sha256Hex(Buffer.from('abc')),
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  test('encoding is deterministic whatever order the files were added in, and parses back', () => {
    const a = describeBytes(Buffer.from('a'));
    const b = describeBytes(Buffer.from('bb'));
    const first = encodeManifest(manifest({ 'weights.bin': b, 'model.json': a }));
    const second = encodeManifest(manifest({ 'model.json': a, 'weights.bin': b }));
    assert.ok(first.equals(second));
    assert.deepEqual(parseManifest(first), manifest({ 'model.json': a, 'weights.bin': b }));
  });

  test('a manifest that is not ours, or names unsafe paths, is refused with the reason', () => {
    const ok = describeBytes(Buffer.from('x'));
    const bad = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
    assert.throws(() => parseManifest(Buffer.from('{not json')), /not valid JSON/);
    assert.throws(() => parseManifest(bad({ files: {} })), /format/);
    assert.throws(() => parseManifest(bad({ ...manifest({}), version: 2 })), /version 2/);
    assert.throws(() => parseManifest(bad(manifest({ '../../etc/passwd': ok }))), /not allowed/);
    assert.throws(() => parseManifest(bad(manifest({ 'a.bin': { sha256: 'xyz', size: 1 } }))), /sha256/);
    assert.throws(() => parseManifest(bad(manifest({ 'a.bin': { ...ok, size: -1 } }))), /size/);
  });

  test('entryMismatch notices a changed size and a changed byte', () => {
    const entry = describeBytes(Buffer.from('hello'));
    assert.equal(entryMismatch(Buffer.from('hello'), entry), undefined);
    assert.match(entryMismatch(Buffer.from('hell'), entry) ?? '', /size is 4 bytes, manifest says 5/);
    assert.match(entryMismatch(Buffer.from('hellp'), entry) ?? '', /sha256 is [0-9a-f]{64}, manifest says/);
  });
});

describe('model artifacts codec', () => {
  const topology = { class_name: 'Sequential', config: { name: 's', layers: [] } };
  const specs: io.WeightsManifestEntry[] = [
    { name: 'dense/kernel', shape: [2, 2], dtype: 'float32' },
    { name: 'dense/bias', shape: [2], dtype: 'float32' },
  ];

  test('weights given as several buffers are joined, and everything decodes back unchanged', () => {
    const parts = [new Float32Array([1, 2, 3, 4]).buffer, new Float32Array([5, 6]).buffer];
    const artifacts: io.ModelArtifacts = {
      modelTopology: topology,
      weightSpecs: specs,
      weightData: parts,
      format: 'layers-model',
      generatedBy: 'TensorFlow.js tfjs-layers v4.22.0',
      convertedBy: null,
      userDefinedMetadata: { note: { text: 'kept' } },
    };
    const files = encodeModelArtifacts(artifacts, 'test');
    const decoded = decodeModelArtifacts(files['model.json']!, files['weights.bin']!, 'k');
    assert.deepEqual(decoded.modelTopology, topology);
    assert.deepEqual(decoded.weightSpecs, specs);
    assert.deepEqual(Array.from(new Float32Array(decoded.weightData as ArrayBuffer)), [1, 2, 3, 4, 5, 6]);
    assert.equal(decoded.format, 'layers-model');
    assert.equal(decoded.convertedBy, null);
    assert.deepEqual(decoded.userDefinedMetadata, { note: { text: 'kept' } });
    assert.equal('trainingConfig' in decoded, false, 'absent optional fields stay absent');
    assert.deepEqual(joinWeightData(undefined), new Uint8Array(0));
  });

  test('GraphDef topologies and model.json files not written by us are refused', () => {
    assert.throws(
      () => encodeModelArtifacts({ modelTopology: new ArrayBuffer(4) }, 'model "x"'),
      /model "x".*GraphDef/,
    );
    assert.throws(() => encodeModelArtifacts({}, 'model "x"'), /no topology/);
    const twoFiles = Buffer.from(
      JSON.stringify({
        modelTopology: topology,
        weightsManifest: [{ paths: ['a.bin', 'b.bin'], weights: specs }],
      }),
    );
    assert.throws(
      () => decodeModelArtifacts(twoFiles, new Uint8Array(0), 'key'),
      /key\/model\.json must list exactly one/,
    );
    assert.throws(() => decodeModelArtifacts(Buffer.from('{'), new Uint8Array(0), 'key'), /not valid JSON/);
  });
});
