import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as H5 from 'h5wasm';
import { readZipEntries } from './zip-entries';
import { kerasKey, WeightFileError, type SourceTensor, type SourceTensors } from './source-tensors';

/**
 * Reads Keras weights from HDF5 (through h5wasm, the HDF5 C library compiled to WebAssembly):
 *  - Keras 2 / Keras Applications files (`~/.keras/models/*.h5`): a group per layer whose `weight_names`
 *    attribute lists its weights in order; a whole-model .h5 keeps the same under `model_weights`;
 *  - Keras 3 `.keras` archives: `model.weights.h5` keeps each layer's variables at
 *    `layers/<path>/vars/<i>`, where the path is the layer's class in snake case plus a per-class counter
 *    in the order of config.json's layers (`batch_normalization_3`); config.json gives the layer names.
 */

type H5Module = typeof H5;
let h5wasm: Promise<H5Module> | undefined;

/** h5wasm is ESM-only; TypeScript's CommonJS output would turn import() into a require() that cannot load it. */
const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<H5Module>;

async function loadH5wasm(): Promise<H5Module> {
  h5wasm ??= importEsm('h5wasm/node').then(async (module) => {
    await module.ready;
    return module;
  });
  return h5wasm;
}

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

export function isHdf5(bytes: Uint8Array): boolean {
  return HDF5_SIGNATURE.every((byte, i) => bytes[i] === byte);
}

/** A `.keras` archive: its model.weights.h5, read from a temporary copy (HDF5 reads files, not buffers). */
export async function readKerasArchive(path: string, bytes: Uint8Array): Promise<SourceTensors> {
  const { entries, complete } = readZipEntries(bytes, (name) =>
    ['model.weights.h5', 'config.json'].includes(name),
  );
  const weights = entries.get('model.weights.h5');
  const config = entries.get('config.json');
  if (weights === undefined || config === undefined) {
    throw new WeightFileError(
      complete
        ? `${path} is a zip without model.weights.h5 and config.json: not a .keras file`
        : `${path} is truncated or damaged: its model.weights.h5 does not read to the end`,
    );
  }
  const layerNames = kerasV3LayerNames(path, config);
  const dir = await mkdtemp(join(tmpdir(), 'amto-keras-'));
  try {
    const copy = join(dir, 'model.weights.h5');
    await writeFile(copy, weights);
    return { ...(await readKerasHdf5(copy, layerNames)), path };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** config.json's layers → {weights-file path: layer name}, the naming of Keras 3's saving_lib. */
function kerasV3LayerNames(path: string, config: Uint8Array): Map<string, string> {
  let layers: Array<{ class_name: string; config: { name: string } }>;
  try {
    const parsed = JSON.parse(new TextDecoder().decode(config)) as { config: { layers: typeof layers } };
    layers = parsed.config.layers;
    if (!Array.isArray(layers)) throw new Error('no layers list');
  } catch (error) {
    throw new WeightFileError(
      `${path}: config.json is not a Keras functional model (${(error as Error).message})`,
    );
  }
  const counts = new Map<string, number>();
  const names = new Map<string, string>();
  for (const layer of layers) {
    const base = snakeCase(layer.class_name);
    const count = counts.get(base) ?? 0;
    counts.set(base, count + 1);
    names.set(count === 0 ? base : `${base}_${count}`, layer.config.name);
  }
  return names;
}

/** Keras' naming.to_snake_case: Conv2D → conv2d, DepthwiseConv2D → depthwise_conv2d, ReLU → re_lu. */
function snakeCase(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/**
 * A Keras HDF5 weights file. `layerNames` maps a Keras 3 file's variable paths to layer names (from the
 * .keras archive's config.json); without it only the Keras 2 layout, which names its layers, can be read.
 */
export async function readKerasHdf5(path: string, layerNames?: Map<string, string>): Promise<SourceTensors> {
  const h5 = await loadH5wasm();
  let file: H5.File;
  let roots: string[];
  try {
    file = new h5.File(path, 'r');
    roots = file.keys();
  } catch (error) {
    // The HDF5 library checks the end-of-file address its superblock records before reading anything,
    // so a truncated file fails here, before any weight can be named.
    throw new WeightFileError(
      `${path} cannot be opened as HDF5 (${String(error)}): the file is truncated or damaged; download it again`,
    );
  }
  try {
    const weightsRoot = roots.includes('model_weights') ? (file.get('model_weights') as H5.Group) : file;
    if ('layer_names' in weightsRoot.attrs) {
      return { path, framework: 'keras', format: 'keras-h5', tensors: legacyTensors(path, h5, weightsRoot) };
    }
    if (roots.includes('layers')) {
      if (layerNames === undefined) {
        throw new WeightFileError(
          `${path} is a Keras 3 weights file, which does not name its layers: import the .keras file ` +
            "(model.save('model.keras')) or a Keras 2 style .h5 (model.save('model.h5'))",
        );
      }
      return {
        path,
        framework: 'keras',
        format: 'keras-v3',
        tensors: kerasV3Tensors(path, h5, file, layerNames),
      };
    }
    throw new WeightFileError(
      `${path} is HDF5 but not a Keras weights file (no layer_names attribute, no layers group)`,
    );
  } finally {
    // Every tensor was read eagerly: h5wasm datasets are only valid while the file is open.
    file.close();
  }
}

function legacyTensors(path: string, h5: H5Module, root: H5.Group): Map<string, SourceTensor> {
  const tensors = new Map<string, SourceTensor>();
  for (const layer of stringList(root.attrs['layer_names'])) {
    const group = root.get(layer);
    if (!(group instanceof h5.Group)) continue;
    for (const weight of stringList(group.attrs['weight_names'])) {
      tensors.set(kerasKey(layer, weight), datasetTensor(path, h5, group, weight, `${layer}/${weight}`));
    }
  }
  return tensors;
}

function kerasV3Tensors(
  path: string,
  h5: H5Module,
  file: H5.File,
  layerNames: Map<string, string>,
): Map<string, SourceTensor> {
  const tensors = new Map<string, SourceTensor>();
  for (const [variablePath, layer] of layerNames) {
    const vars = file.get(`layers/${variablePath}/vars`);
    if (!(vars instanceof h5.Group)) continue;
    const indices = vars
      .keys()
      .map(Number)
      .sort((a, b) => a - b);
    for (const index of indices) {
      const name = `${layer} (layers/${variablePath}/vars/${index})`;
      tensors.set(kerasKey(layer, index), datasetTensor(path, h5, vars, String(index), name));
    }
  }
  return tensors;
}

/** Reads the dataset now (h5wasm handles die with the file) and hands it out as a SourceTensor. */
function datasetTensor(path: string, h5: H5Module, group: H5.Group, key: string, name: string): SourceTensor {
  let values: Float32Array | undefined;
  let failure: string | undefined;
  let shape: number[] = [];
  try {
    const dataset = group.get(key);
    if (!(dataset instanceof h5.Dataset)) throw new Error('not a dataset');
    shape = dataset.shape ?? [];
    const raw = dataset.value;
    if (raw instanceof Float32Array) values = raw;
    else if (raw instanceof Float64Array) values = Float32Array.from(raw);
    else failure = `is ${dataset.dtype}, not a float`;
  } catch (error) {
    failure = `cannot be read (${String(error)}): truncated or damaged file`;
  }
  return {
    name,
    shape,
    read() {
      if (values === undefined)
        throw new WeightFileError(`${path}: weight ${name} ${failure ?? 'is missing'}`);
      return values;
    },
  };
}

function stringList(attribute: H5.Attribute | undefined): string[] {
  const value = attribute?.json_value;
  if (Array.isArray(value)) return value.map(String);
  return typeof value === 'string' ? [value] : [];
}
