import * as tf from '@tensorflow/tfjs';
import { buildModel } from '../models/build-model';
import type { ModelArch, ModelVariant } from '../models/build-options';
import { readWeightFile } from './read-weight-file';
import { kerasKey, WeightFileError, type SourceTensor, type SourceTensors } from './source-tensors';
import { modernTorchvisionKey, torchvisionModulePath } from './torchvision-names';

/**
 * Builds a zoo model from a Keras Applications or torchvision weights file: every tensor is matched to a
 * zoo weight by name (the zoo keeps Keras' layer names; torchvision's module paths are translated),
 * converted to the tfjs layout (OIHW → HWIO, depthwise [C,1,kh,kw] → [kh,kw,C,1], Linear [out,in] →
 * [in,out]), and written; the model is built in the file's framework variant so padding and batch-norm ε
 * match too. Anything that does not fit — a missing tensor, a shape, a tensor left over — is an error that
 * names the first such tensor.
 */

export interface ImportWeightsOptions {
  arch: ModelArch;
  widthMultiplier?: number;
  inputShape: [number, number, number];
  /** Classes of the new model; absent = the file's classifier's. The head is kept when they agree. */
  classes?: number;
  /** Seeds a new classifier head (when the file's does not fit `classes`). */
  seed?: number;
}

export interface ImportReport {
  file: string;
  format: string;
  arch: ModelArch;
  variant: ModelVariant;
  widthMultiplier: number;
  classes: number;
  /** File tensors written into the model. */
  tensorsMapped: number;
  /** Values written (the model's parameters less a new head). */
  valuesMapped: number;
  /** 'kept': the file's classifier; 'new': a seeded one, because the file's has another class count. */
  head: 'kept' | 'new';
  /** The file's classifier's class count; null: the file has no classifier. */
  fileClasses: number | null;
  /** File tensors deliberately not used (torch's num_batches_tracked counters, a replaced head). */
  skipped: string[];
}

/** A zoo weight and the file tensor that fills it. */
interface WeightSource {
  key: string;
  /** The permutation from the file's layout to tfjs' (undefined: same layout); kernels only. */
  perm?: number[];
}

/** Keras 2 (and so Keras Applications' downloads) named the classifier Logits (MobileNetV2), fc1000 (DenseNet). */
const KERAS_2_NAMES: Record<string, string[]> = { predictions: ['Logits', 'fc1000'] };

const TORCH_SUFFIXES: Record<string, string[]> = {
  Conv2D: ['weight', 'bias'],
  DepthwiseConv2D: ['weight', 'bias'],
  Dense: ['weight', 'bias'],
  BatchNormalization: ['weight', 'bias', 'running_mean', 'running_var'],
};
const TORCH_PERMS: Record<string, number[]> = {
  Conv2D: [2, 3, 1, 0],
  DepthwiseConv2D: [2, 3, 0, 1],
  Dense: [1, 0],
};

export async function importWeights(
  path: string,
  options: ImportWeightsOptions,
): Promise<{ model: tf.LayersModel; report: ImportReport }> {
  const source = await readWeightFile(path);
  return importTensors(source, options);
}

export function importTensors(
  source: SourceTensors,
  options: ImportWeightsOptions,
): { model: tf.LayersModel; report: ImportReport } {
  const { arch } = options;
  const widthMultiplier = options.widthMultiplier ?? 1;
  const variant = variantFor(source, arch);
  const tensors =
    source.framework === 'torch'
      ? new Map([...source.tensors].map(([key, tensor]) => [modernTorchvisionKey(key), tensor]))
      : source.tensors;
  const describe = `${arch} (${variant}, widthMultiplier ${widthMultiplier})`;
  const tensorIndex = new TensorIndex(source, tensors, arch, describe);

  // The head's kernel tells the file's class count; Keras' "notop" files have none (a new head then).
  const probe = buildModel({ arch, variant, widthMultiplier, inputShape: options.inputShape, classes: 2 });
  let headKernel: { tensor: SourceTensor } | undefined;
  try {
    // A file of another architecture fails on its first tensor, not on a missing classifier.
    const first = probe.layers.find((layer) => layer.weights.length > 0) as tf.layers.Layer;
    tensorIndex.require(first, 0);
    headKernel = tensorIndex.find(headLayer(probe), 0);
  } finally {
    probe.dispose();
  }
  const fileClasses = headKernel === undefined ? undefined : fileHeadClasses(source, headKernel.tensor);
  const classes = options.classes ?? fileClasses;
  if (classes === undefined) {
    throw new WeightFileError(
      `${source.path} has no classifier (${arch} without its top): say how many classes the model has`,
    );
  }

  const model = buildModel({
    arch,
    variant,
    widthMultiplier,
    inputShape: options.inputShape,
    classes,
    seed: options.seed ?? 0,
  });
  try {
    const head = headLayer(model);
    const keepHead = classes === fileClasses;
    const used = new Set<string>();
    const headKeys = new Set<string>();
    let valuesMapped = 0;
    for (const layer of model.layers) {
      layer.weights.forEach((weight, index) => {
        if (layer === head && !keepHead) {
          // A new head: the file's, if it has one, is left out (and listed as skipped).
          const found = tensorIndex.find(layer, index);
          if (found !== undefined) headKeys.add(found.key);
          return;
        }
        const { key, tensor, perm } = tensorIndex.require(layer, index);
        used.add(key);
        const needed =
          perm === undefined ? weight.shape : invertPermutation(perm).map((a) => weight.shape[a]);
        if (tensor.shape.join() !== needed.join()) {
          throw new WeightFileError(
            `${source.path}: tensor ${tensor.name} has shape [${tensor.shape.join(', ')}], but ${describe} ` +
              `layer ${layer.name} needs [${needed.join(', ')}] for ${weight.originalName}: the file is of ` +
              'another architecture or width (check --arch and --width-multiplier)',
          );
        }
        const values = tensor.read();
        tf.tidy(() => {
          const value = tf.tensor(values, tensor.shape, 'float32');
          (weight as tf.LayerVariable).write(perm === undefined ? value : tf.transpose(value, perm));
        });
        valuesMapped += values.length;
      });
    }
    const skipped: string[] = [];
    for (const [key, tensor] of tensors) {
      if (used.has(key)) continue;
      if (headKeys.has(key) || key.endsWith('num_batches_tracked')) {
        skipped.push(tensor.name);
        continue;
      }
      throw new WeightFileError(
        `${source.path}: tensor ${tensor.name} (shape [${tensor.shape.join(', ')}]) belongs to no layer of ` +
          `${describe}: the file is of another architecture (check --arch)`,
      );
    }
    const report: ImportReport = {
      file: source.path,
      format: source.format,
      arch,
      variant,
      widthMultiplier,
      classes,
      tensorsMapped: used.size,
      valuesMapped,
      head: keepHead ? 'kept' : 'new',
      fileClasses: fileClasses ?? null,
      skipped,
    };
    return { model, report };
  } catch (error) {
    model.dispose();
    throw error;
  }
}

function variantFor(source: SourceTensors, arch: ModelArch): ModelVariant {
  const variant: ModelVariant = source.framework === 'keras' ? 'keras' : 'torchvision';
  if (arch === 'small-cnn') {
    throw new WeightFileError(`${source.path}: small-cnn is amto's own network; no framework file fits it`);
  }
  if (arch === 'squeezenet1_1' && variant === 'keras') {
    throw new WeightFileError(
      `${source.path} is a Keras file, but SqueezeNet 1.1 exists only in torchvision: import its .pth`,
    );
  }
  return variant;
}

/** The classifier: the last layer with weights. */
function headLayer(model: tf.LayersModel): tf.layers.Layer {
  const head = [...model.layers].reverse().find((layer) => layer.weights.length > 0);
  if (head === undefined) throw new Error(`${model.name} has no weights`);
  return head;
}

/** The file's tensors as the zoo model of `arch` asks for them: by layer and weight index. */
class TensorIndex {
  constructor(
    private readonly source: SourceTensors,
    private readonly tensors: Map<string, SourceTensor>,
    private readonly arch: ModelArch,
    private readonly describe: string,
  ) {}

  /** The file tensor for weight `index` of `layer`, or undefined if the file has none. */
  find(layer: tf.layers.Layer, index: number): (WeightSource & { tensor: SourceTensor }) | undefined {
    const { source } = this;
    for (const key of candidateKeys(source, this.arch, layer, index)) {
      const tensor = this.tensors.get(key);
      if (tensor !== undefined) {
        const perm = source.framework === 'torch' && index === 0 ? torchPerm(layer) : undefined;
        return { key, tensor, perm };
      }
    }
    return undefined;
  }

  /** As find, but a missing tensor is an error naming it. */
  require(layer: tf.layers.Layer, index: number): WeightSource & { tensor: SourceTensor } {
    const found = this.find(layer, index);
    if (found !== undefined) return found;
    const expected = candidateKeys(this.source, this.arch, layer, index)[0] ?? '?';
    throw new WeightFileError(
      `${this.source.path}: no tensor ${expected} for ${this.describe} layer ${layer.name} ` +
        `(${layer.weights[index]?.originalName}): the file is of another architecture, or truncated`,
    );
  }
}

function candidateKeys(
  source: SourceTensors,
  arch: ModelArch,
  layer: tf.layers.Layer,
  index: number,
): string[] {
  if (source.framework === 'keras') {
    const short = (layer.weights[index]?.originalName ?? '').split('/').pop() ?? '';
    const names = [layer.name, ...(KERAS_2_NAMES[layer.name] ?? [])];
    return names.flatMap((name) => [kerasKey(name, short), kerasKey(name, index)]);
  }
  const module = torchvisionModulePath(arch, layer.name);
  const suffix = TORCH_SUFFIXES[layer.getClassName()]?.[index];
  return module === undefined || suffix === undefined ? [] : [`${module}.${suffix}`];
}

function torchPerm(layer: tf.layers.Layer): number[] | undefined {
  return TORCH_PERMS[layer.getClassName()];
}

/** Output classes of the file's classifier kernel (Keras [in, out], torch Linear [out, in] / conv [out, in, 1, 1]). */
function fileHeadClasses(source: SourceTensors, kernel: SourceTensor): number {
  const shape = kernel.shape;
  const classes = source.framework === 'keras' ? shape[shape.length - 1] : shape[0];
  if (classes === undefined)
    throw new WeightFileError(`${source.path}: classifier ${kernel.name} has no shape`);
  return classes;
}

function invertPermutation(perm: number[]): number[] {
  const inverse = new Array<number>(perm.length);
  perm.forEach((axis, i) => {
    inverse[axis] = i;
  });
  return inverse;
}
