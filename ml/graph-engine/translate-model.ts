import type * as tf from '@tensorflow/tfjs';
import type { GraphBuilder } from './graph-builder';
import { readVariable, type ModelVariables } from './model-variables';
import { DType, type Attr, type Output } from './native-binding';

/**
 * Translates a zoo LayersModel into TF graph operations: one forward pass over the graph's variables,
 * in training mode (batch statistics, dropout masks fed per step) or inference mode (moving statistics,
 * no dropout). Each layer becomes the TF kernels tfjs-node runs for it, so both engines compute the
 * same function; a layer type or option the zoo does not use is refused by name.
 */

export type ForwardMode = 'train' | 'infer';

/** A training-mode batch norm's batch statistics, for the moving-average updates. */
export interface BatchStatistics {
  layer: string;
  mean: Output;
  /** Biased (population) variance, as tfjs' moments give it. */
  variance: Output;
  momentum: number;
}

/** A dropout layer's multiplier (0 or 1/keep), fed each step from the step's dropout seed. */
export interface DropoutMask {
  layer: string;
  rate: number;
  placeholder: Output;
  shape: number[];
}

export interface Forward {
  logits: Output;
  /** Reads of the trainable variables this pass differentiates against, in trainable order. */
  trainableReads: Output[];
  batchStatistics: BatchStatistics[];
  dropoutMasks: DropoutMask[];
}

type Config = Record<string, unknown>;

export function translateForward(
  builder: GraphBuilder,
  model: tf.LayersModel,
  variables: ModelVariables,
  input: Output,
  mode: ForwardMode,
): Forward {
  const [modelInput, ...moreInputs] = model.inputs;
  const [modelOutput, ...moreOutputs] = model.outputs;
  if (modelInput === undefined || modelOutput === undefined || moreInputs.length + moreOutputs.length > 0) {
    throw new Error(`graph engine: model '${model.name}' must have exactly one input and one output`);
  }
  const values = new Map<number, Output>([[modelInput.id, input]]);
  // One read per variable per pass: its gradient is the variable's gradient.
  const reads = new Map<string, Output>();
  const read = (originalName: string): Output => {
    let output = reads.get(originalName);
    if (output === undefined) {
      output = readVariable(builder, `${mode}/read/${originalName}`, variables.weight(originalName).handle);
      reads.set(originalName, output);
    }
    return output;
  };
  const forward: Forward = { logits: input, trainableReads: [], batchStatistics: [], dropoutMasks: [] };
  for (const layer of model.layers) {
    const className = layer.getClassName();
    if (className === 'InputLayer') continue;
    const inputs = (Array.isArray(layer.input) ? layer.input : [layer.input]).map((symbolic) => {
      const value = values.get(symbolic.id);
      if (value === undefined) throw new Error(`graph engine: layer '${layer.name}' runs before its input`);
      return value;
    });
    const output = Array.isArray(layer.output) ? undefined : layer.output;
    if (output === undefined) throw new Error(`graph engine: layer '${layer.name}' has several outputs`);
    const context: LayerContext = {
      builder,
      name: `${mode}/${layer.name}`,
      layer,
      config: layer.getConfig() as Config,
      mode,
      weight: (role) => {
        const weight = layer.weights.find((w) => w.originalName === `${layer.name}/${role}`);
        return weight === undefined ? null : read(weight.originalName);
      },
      forward,
    };
    const translate = LAYERS[className];
    if (translate === undefined) {
      throw new Error(
        `graph engine: layer '${layer.name}' is a ${className}, which the graph engine does not translate (it knows ${Object.keys(LAYERS).join(', ')}); train this model with --engine tfjs`,
      );
    }
    values.set(output.id, translate(context, inputs));
  }
  const logits = values.get(modelOutput.id);
  if (logits === undefined) throw new Error(`graph engine: model '${model.name}' output was not computed`);
  forward.logits = logits;
  forward.trainableReads = variables.trainable.map((variable) => read(variable.name));
  return forward;
}

interface LayerContext {
  builder: GraphBuilder;
  /** Operation-name prefix for this layer in this pass. */
  name: string;
  layer: tf.layers.Layer;
  config: Config;
  mode: ForwardMode;
  /** This pass's read of the layer's weight `role` ('kernel', 'gamma', …), or null if it has none. */
  weight: (role: string) => Output | null;
  forward: Forward;
}

type Translate = (context: LayerContext, inputs: Output[]) => Output;

const T: Attr = ['T', 'type', DType.float32];
const NHWC: Attr = ['data_format', 'string', 'NHWC'];

function only(context: LayerContext, inputs: Output[]): Output {
  const [x, ...rest] = inputs;
  if (x === undefined || rest.length > 0) {
    throw new Error(`graph engine: layer '${context.layer.name}' expects one input; got ${inputs.length}`);
  }
  return x;
}

function pair(value: unknown, what: string, context: LayerContext): [number, number] {
  const values = typeof value === 'number' ? [value, value] : value;
  if (!Array.isArray(values) || values.length !== 2 || !values.every((v) => Number.isInteger(v))) {
    throw new Error(
      `graph engine: layer '${context.layer.name}' has an unsupported ${what} ${JSON.stringify(value)}`,
    );
  }
  return [values[0] as number, values[1] as number];
}

function padding(context: LayerContext): 'SAME' | 'VALID' {
  const value = context.config['padding'];
  if (value === 'same') return 'SAME';
  if (value === 'valid') return 'VALID';
  throw new Error(
    `graph engine: layer '${context.layer.name}' has padding ${JSON.stringify(value)}; only same and valid translate`,
  );
}

function checkChannelsLast(context: LayerContext): void {
  const format = context.config['dataFormat'];
  if (format !== undefined && format !== 'channelsLast') {
    throw new Error(
      `graph engine: layer '${context.layer.name}' is ${String(format)}; only channelsLast translates`,
    );
  }
}

function required(context: LayerContext, role: string): Output {
  const weight = context.weight(role);
  if (weight === null) throw new Error(`graph engine: layer '${context.layer.name}' has no ${role} weight`);
  return weight;
}

/** Bias (when the layer has one) and the layer's fused activation. */
function biasAndActivation(context: LayerContext, x: Output): Output {
  const { builder, name } = context;
  const bias = context.config['useBias'] === true ? required(context, 'bias') : null;
  let y = bias === null ? x : builder.op1('BiasAdd', `${name}/bias`, [x, bias], [T, NHWC]);
  const activation = context.config['activation'];
  if (activation === 'relu') y = builder.unary('Relu', `${name}/relu`, y);
  else if (activation !== 'linear' && activation !== undefined) {
    throw new Error(
      `graph engine: layer '${context.layer.name}' has activation ${JSON.stringify(activation)}; only linear and relu translate`,
    );
  }
  return y;
}

function convolution(type: 'Conv2D' | 'DepthwiseConv2dNative', kernelRole: string): Translate {
  return (context, inputs) => {
    checkChannelsLast(context);
    const x = only(context, inputs);
    const [sh, sw] = pair(context.config['strides'], 'strides', context);
    const [dh, dw] = pair(context.config['dilationRate'] ?? 1, 'dilationRate', context);
    const y = context.builder.op1(
      type,
      `${context.name}/${type === 'Conv2D' ? 'conv' : 'depthwise'}`,
      [x, required(context, kernelRole)],
      [
        T,
        ['strides', 'ints', [1, sh, sw, 1]],
        ['padding', 'string', padding(context)],
        NHWC,
        ['dilations', 'ints', [1, dh, dw, 1]],
      ],
    );
    return biasAndActivation(context, y);
  };
}

function pooling(type: 'MaxPool' | 'AvgPool'): Translate {
  return (context, inputs) => {
    checkChannelsLast(context);
    const [ph, pw] = pair(context.config['poolSize'], 'poolSize', context);
    const [sh, sw] = pair(context.config['strides'] ?? context.config['poolSize'], 'strides', context);
    return context.builder.op1(
      type,
      `${context.name}/pool`,
      [only(context, inputs)],
      [
        T,
        ['ksize', 'ints', [1, ph, pw, 1]],
        ['strides', 'ints', [1, sh, sw, 1]],
        ['padding', 'string', padding(context)],
        NHWC,
      ],
    );
  };
}

const batchNormalization: Translate = (context, inputs) => {
  const { builder, name, config, mode } = context;
  const x = only(context, inputs);
  const rank = builder.shape(x).length;
  if (rank !== 4 || (config['axis'] !== -1 && config['axis'] !== 3)) {
    throw new Error(
      `graph engine: batch norm '${context.layer.name}' must normalise the channels of a 4-D input`,
    );
  }
  const channels = builder.shape(x)[3] as number;
  const gamma =
    context.weight('gamma') ?? builder.constFloat(`${name}/ones`, new Array<number>(channels).fill(1));
  const beta =
    context.weight('beta') ?? builder.constFloat(`${name}/zeros`, new Array<number>(channels).fill(0));
  const movingMean = required(context, 'moving_mean');
  const movingVariance = required(context, 'moving_variance');
  const [y, batchMean, batchVariance] = builder.op(
    'FusedBatchNormV3',
    `${name}/bn`,
    [x, gamma, beta, movingMean, movingVariance],
    [
      T,
      ['U', 'type', DType.float32],
      ['epsilon', 'float', config['epsilon'] as number],
      ['exponential_avg_factor', 'float', 1],
      NHWC,
      ['is_training', 'bool', mode === 'train'],
    ],
  );
  if (y === undefined || batchMean === undefined || batchVariance === undefined) {
    throw new Error(`graph engine: FusedBatchNormV3 for '${context.layer.name}' returned too few outputs`);
  }
  if (mode === 'train') {
    // FusedBatchNormV3 returns the Bessel-corrected variance; tfjs averages the biased one.
    const [batch, height, width] = builder.shape(x) as [number, number, number];
    const count = batch * height * width;
    if (batch < 0)
      throw new Error(`graph engine: the training batch size must be fixed when the graph is built`);
    const biased = builder.binary(
      'Mul',
      `${name}/biased_variance`,
      batchVariance,
      builder.constFloat(`${name}/bessel`, (count - 1) / count),
    );
    context.forward.batchStatistics.push({
      layer: context.layer.name,
      mean: batchMean,
      variance: biased,
      momentum: config['momentum'] as number,
    });
  }
  return y;
};

const LAYERS: Record<string, Translate> = {
  Conv2D: convolution('Conv2D', 'kernel'),
  // tfjs' depthwise kernel [h, w, in, multiplier] and channel order are DepthwiseConv2dNative's.
  DepthwiseConv2D: convolution('DepthwiseConv2dNative', 'depthwise_kernel'),
  BatchNormalization: batchNormalization,
  ReLU: (context, inputs) => {
    const maxValue = context.config['maxValue'];
    const x = only(context, inputs);
    if (maxValue === null || maxValue === undefined)
      return context.builder.unary('Relu', `${context.name}/relu`, x);
    if (maxValue === 6) return context.builder.unary('Relu6', `${context.name}/relu6`, x);
    throw new Error(
      `graph engine: ReLU '${context.layer.name}' has maxValue ${JSON.stringify(maxValue)}; only none and 6 translate`,
    );
  },
  Activation: (context, inputs) =>
    biasAndActivation(
      { ...context, config: { activation: context.config['activation'] } },
      only(context, inputs),
    ),
  MaxPooling2D: pooling('MaxPool'),
  AveragePooling2D: pooling('AvgPool'),
  ZeroPadding2D: (context, inputs) => {
    checkChannelsLast(context);
    const raw = context.config['padding'];
    const [[top, bottom], [left, right]] = (
      typeof raw === 'number'
        ? [
            [raw, raw],
            [raw, raw],
          ]
        : (raw as number[][]).map((p) => (typeof p === 'number' ? [p, p] : p))
    ) as [[number, number], [number, number]];
    const paddings = context.builder.constInt(
      `${context.name}/paddings`,
      [0, 0, top, bottom, left, right, 0, 0],
      [4, 2],
    );
    return context.builder.op1(
      'Pad',
      `${context.name}/pad`,
      [only(context, inputs), paddings],
      [T, ['Tpaddings', 'type', DType.int32]],
    );
  },
  Dense: (context, inputs) => {
    const x = only(context, inputs);
    if (context.builder.shape(x).length !== 2) {
      throw new Error(
        `graph engine: dense '${context.layer.name}' must see a 2-D input (flatten or pool first)`,
      );
    }
    const y = context.builder.op1(
      'MatMul',
      `${context.name}/matmul`,
      [x, required(context, 'kernel')],
      [T, ['transpose_a', 'bool', false], ['transpose_b', 'bool', false]],
    );
    return biasAndActivation(context, y);
  },
  Concatenate: (context, inputs) => {
    const rank = context.builder.shape(inputs[0] as Output).length;
    const axis = (context.config['axis'] as number | undefined) ?? -1;
    return context.builder.op1(
      'ConcatV2',
      `${context.name}/concat`,
      [inputs, context.builder.constInt(`${context.name}/axis`, axis < 0 ? rank + axis : axis)],
      [['N', 'int', inputs.length], T, ['Tidx', 'type', DType.int32]],
    );
  },
  Add: (context, inputs) =>
    context.builder.op1('AddN', `${context.name}/add`, [inputs], [['N', 'int', inputs.length], T]),
  Flatten: (context, inputs) => {
    const x = only(context, inputs);
    const [, ...rest] = context.builder.shape(x);
    return reshape(context, x, [-1, rest.reduce((a, b) => a * b, 1)]);
  },
  Reshape: (context, inputs) =>
    reshape(context, only(context, inputs), [-1, ...(context.config['targetShape'] as number[])]),
  GlobalAveragePooling2D: globalPooling('Mean'),
  GlobalMaxPooling2D: globalPooling('Max'),
  StepSeededDropout: (context, inputs) => {
    const x = only(context, inputs);
    const rate = context.config['rate'] as number;
    if (context.mode === 'infer' || rate === 0) return x;
    const shape = context.builder.shape(x);
    const placeholder = context.builder.placeholder(`${context.name}/mask`, DType.float32, shape);
    context.forward.dropoutMasks.push({ layer: context.layer.name, rate, placeholder, shape });
    return context.builder.binary('Mul', `${context.name}/dropout`, x, placeholder);
  },
};

function reshape(context: LayerContext, x: Output, dims: number[]): Output {
  const shape = context.builder.constInt(`${context.name}/shape`, dims);
  return context.builder.op1(
    'Reshape',
    `${context.name}/reshape`,
    [x, shape],
    [T, ['Tshape', 'type', DType.int32]],
  );
}

function globalPooling(type: 'Mean' | 'Max'): Translate {
  return (context, inputs) => {
    checkChannelsLast(context);
    const axes = context.builder.constInt(`${context.name}/axes`, [1, 2]);
    return context.builder.op1(
      type,
      `${context.name}/pool`,
      [only(context, inputs), axes],
      [T, ['Tidx', 'type', DType.int32], ['keep_dims', 'bool', false]],
    );
  };
}
