import { readFile } from 'node:fs/promises';
import { isHdf5, readKerasArchive, readKerasHdf5 } from './keras-weights';
import { readSafetensors } from './safetensors-file';
import { WeightFileError, type SourceTensors } from './source-tensors';
import { isLegacyTorch, isZip, readTorchCheckpoint } from './torch-checkpoint';
import { readZipEntries } from './zip-entries';

/**
 * Opens a Keras (.h5, .keras) or torch (.pth/.pt, .safetensors) weights file by its content, so a file
 * named after its download (`squeezenet1_1-b8a52dc0.pth`, `…_tf_kernels.h5`) or renamed still reads.
 */
export async function readWeightFile(path: string): Promise<SourceTensors> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new WeightFileError(`Cannot read weights file ${path}: ${(error as Error).message}`);
  }
  if (isHdf5(bytes)) return readKerasHdf5(path);
  if (isLegacyTorch(bytes)) return readTorchCheckpoint(path, bytes);
  if (isZip(bytes)) {
    // A .keras archive starts with metadata.json and config.json; a torch one with <name>/data.pkl.
    return readZipEntries(bytes, () => false).names.includes('config.json')
      ? readKerasArchive(path, bytes)
      : readTorchCheckpoint(path, bytes);
  }
  if (path.endsWith('.safetensors')) return readSafetensors(path, bytes);
  throw new WeightFileError(
    `${path} is none of the weight formats amto imports: Keras .h5 / .keras, torch .pth, .safetensors`,
  );
}
