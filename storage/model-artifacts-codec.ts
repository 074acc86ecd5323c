import type { io } from '@tensorflow/tfjs';

import { StorageError } from './errors';

/** File names of a saved model, as tfjs's own file layout uses them (so model.json loads anywhere). */
export const modelJsonFileName = 'model.json';
export const modelWeightsFileName = 'weights.bin';

/** Joins tfjs weight data (one buffer or several) into one byte array. */
export function joinWeightData(data: io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  const parts = Array.isArray(data) ? data : [data];
  // One buffer (what tfjs' save produces) is viewed, not copied: the weights are not held twice.
  if (parts.length === 1) return new Uint8Array(parts[0] as ArrayBuffer);
  const joined = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(new Uint8Array(part), offset);
    offset += part.byteLength;
  }
  return joined;
}

/** A standalone ArrayBuffer holding exactly `bytes` (a Node Buffer may be a view into a shared pool). */
export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  // A download that owns its whole buffer is handed over as is rather than copied.
  if (
    bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength &&
    bytes.buffer instanceof ArrayBuffer
  )
    return bytes.buffer;
  const copy = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(copy).set(bytes);
  return copy;
}

/** Splits tfjs model artifacts into `model.json` (tfjs's format, one weights group) and `weights.bin`. */
export function encodeModelArtifacts(artifacts: io.ModelArtifacts, what: string): Record<string, Uint8Array> {
  if (artifacts.modelTopology instanceof ArrayBuffer) {
    throw new StorageError(
      `${what}: only JSON model topologies (layers models) can be stored, not GraphDef bytes`,
    );
  }
  if (artifacts.modelTopology === undefined) {
    throw new StorageError(`${what}: the model artifacts have no topology`);
  }
  const modelJson: io.ModelJSON = {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    trainingConfig: artifacts.trainingConfig,
    signature: artifacts.signature,
    userDefinedMetadata: artifacts.userDefinedMetadata,
    modelInitializer: artifacts.modelInitializer,
    initializerSignature: artifacts.initializerSignature,
    weightsManifest: [{ paths: [`./${modelWeightsFileName}`], weights: artifacts.weightSpecs ?? [] }],
  };
  return {
    [modelJsonFileName]: Buffer.from(JSON.stringify(modelJson)),
    [modelWeightsFileName]: joinWeightData(artifacts.weightData),
  };
}

/** The inverse of encodeModelArtifacts; `key` names the model in errors. */
export function decodeModelArtifacts(
  modelJsonBytes: Uint8Array,
  weights: Uint8Array,
  key: string,
): io.ModelArtifacts {
  let modelJson: io.ModelJSON;
  try {
    modelJson = JSON.parse(Buffer.from(modelJsonBytes).toString('utf8')) as io.ModelJSON;
  } catch (error) {
    throw new StorageError(`${key}/${modelJsonFileName} is not valid JSON: ${(error as Error).message}`);
  }
  if (modelJson === null || typeof modelJson !== 'object' || modelJson.modelTopology === undefined) {
    throw new StorageError(`${key}/${modelJsonFileName} has no modelTopology`);
  }
  const groups = modelJson.weightsManifest ?? [];
  if (
    groups.length > 1 ||
    groups.some((group) => group.paths.length !== 1 || !group.paths[0]?.endsWith(modelWeightsFileName))
  ) {
    throw new StorageError(
      `${key}/${modelJsonFileName} must list exactly one weights file, ${modelWeightsFileName}`,
    );
  }
  const artifacts: io.ModelArtifacts = {
    modelTopology: modelJson.modelTopology,
    weightSpecs: groups.flatMap((group) => group.weights),
    weightData: toArrayBuffer(weights),
  };
  // Optional fields are copied only when present, so a round trip returns the same object shape.
  const optional = [
    'format',
    'generatedBy',
    'convertedBy',
    'trainingConfig',
    'signature',
    'userDefinedMetadata',
    'modelInitializer',
    'initializerSignature',
  ] as const;
  for (const field of optional) {
    if (modelJson[field] !== undefined) Object.assign(artifacts, { [field]: modelJson[field] });
  }
  return artifacts;
}
