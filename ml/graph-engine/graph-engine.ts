import * as tf from '@tensorflow/tfjs';
import { gatherBatch } from '../datasets/batch';
import type { ImageDataset } from '../datasets/image-dataset';
import { dropoutCallSeed } from '../models/step-seeded-dropout';
import type { EvaluationResult } from '../training/evaluate';
import type { StepEngine } from '../training/step-engine';
import { captureOptimizerState, restoreOptimizerState } from '../training/training-state';
import { GraphBuilder } from './graph-builder';
import { ModelVariables } from './model-variables';
import {
  DType,
  loadGraphEngineBinding,
  type NativeBinding,
  type NativeSession,
  type Output,
  type TensorSpec,
} from './native-binding';
import { graphEngineThreads, threadConfigProto } from './session-config';
import { translateForward, type DropoutMask } from './translate-model';

/**
 * A model's training step and inference as one TensorFlow graph over resource variables, run with one
 * TF_SessionRun per step. The step is the tfjs path's step: softmax cross-entropy of the logits, gradients
 * (TF_AddGradients), (Nesterov) momentum updates with tfjs' slot semantics (ResourceApplyMomentum:
 * accum = m·accum + g; var -= lr·(g + m·accum) with Nesterov, lr·accum without), batch-norm moving
 * statistics updated in the graph the way tfjs updates them, and dropout masks drawn from the step's seed
 * exactly as StepSeededDropout draws them.
 */

interface TrainingGraph {
  images: Output;
  labels: Output;
  learningRate: Output;
  loss: Output;
  masks: DropoutMask[];
  targets: string[];
}

interface InferenceGraph {
  images: Output;
  labels: Output;
  lossSum: Output;
  correct: Output;
}

export interface GraphEngineOptions {
  /** TensorFlow's intra-op threads; fixed per process (default: the native backend's default). */
  threads?: number;
}

export class GraphEngine implements StepEngine {
  readonly description: string;
  private readonly builder: GraphBuilder;
  private readonly variables: ModelVariables;
  private readonly session: NativeSession;
  private readonly training = new Map<number, TrainingGraph>();
  private readonly inference: InferenceGraph;
  private readonly inputShape: [number, number, number];
  private readonly classes: number;
  private readonly momentum: number;
  private readonly nesterov: boolean;
  private iterationsAtLoad = 0;
  private stepsSinceLoad = 0;
  /** The model whose weights and optimizer slots the graph's variables hold (load, store). */
  private stateOf: tf.LayersModel | null = null;
  /** The model whose weights the graph's variables hold (load, store, evaluate). */
  private weightsOf: tf.LayersModel | null = null;
  /**
   * The tfjs tensors (weights, optimizer slots) the graph's variables equal, as of the last load or store;
   * null once a step moved the graph on. A variable's data id changes on every write in tfjs (assign,
   * setWeights, loadWeights, an optimizer step), so the same ids mean the same values.
   */
  private syncedWith: { optimizer: tf.MomentumOptimizer; iterations: number; dataIds: object[] } | null =
    null;

  /** An engine for `model` with `optimizer`'s momentum settings; throws when the addon cannot load. */
  static create(
    model: tf.LayersModel,
    optimizer: tf.MomentumOptimizer,
    options: GraphEngineOptions = {},
  ): GraphEngine {
    const load = loadGraphEngineBinding();
    if (!load.ok) throw new Error(`graph engine unavailable: ${load.reason}`);
    return new GraphEngine(load.binding, model, optimizer, graphEngineThreads(options.threads));
  }

  private constructor(
    binding: NativeBinding,
    private readonly model: tf.LayersModel,
    optimizer: tf.MomentumOptimizer,
    threads: number,
  ) {
    const config = optimizer.getConfig();
    this.momentum = config['momentum'] as number;
    this.nesterov = config['useNesterov'] === true;
    const [, height, width, channels] = model.inputs[0]?.shape ?? [];
    const [, classes] = model.outputs[0]?.shape ?? [];
    if (![height, width, channels, classes].every((d) => typeof d === 'number' && d > 0)) {
      throw new Error(
        `graph engine: model '${model.name}' must map [batch, h, w, c] images to [batch, classes] logits`,
      );
    }
    this.inputShape = [height as number, width as number, channels as number];
    this.classes = classes as number;
    this.builder = new GraphBuilder(new binding.Graph());
    this.variables = new ModelVariables(this.builder, model);
    this.inference = this.buildInference();
    this.session = new binding.Session(this.builder.graph, threadConfigProto(threads));
    this.description = `graph engine (TensorFlow ${binding.tensorflowVersion}, ${threads} thread${threads === 1 ? '' : 's'})`;
  }

  async load(model: tf.LayersModel, optimizer: tf.MomentumOptimizer): Promise<void> {
    this.checkModel(model);
    // The next chunk of an interval, or the next interval of a resident session: the graph already holds
    // exactly this state, and feeding it again would copy every weight and slot for nothing.
    if (this.stateOf === model && (await this.holdsStateOf(optimizer, model))) {
      this.iterationsAtLoad = optimizer.iterations;
      this.stepsSinceLoad = 0;
      return;
    }
    const { feeds, targets } = this.weightFeeds(model);
    // Captured as a checkpoint captures them: checked against the model, in trainable-weight order.
    const state = await captureOptimizerState(optimizer, model);
    const slots = tf.io.decodeWeights(state.weights.data, state.weights.specs);
    this.variables.slots.forEach((slot, i) => {
      const spec = state.weights.specs[i];
      const tensor = spec === undefined ? undefined : slots[spec.name];
      // Before its first step the optimizer has no slots: tfjs starts them at zero.
      const data =
        (tensor?.dataSync() as Float32Array | undefined) ??
        new Float32Array(slot.shape.reduce((a, b) => a * b, 1));
      feeds.push([slot.value, [DType.float32, slot.shape, data]]);
      targets.push(slot.assign);
    });
    tf.dispose(Object.values(slots));
    this.session.run(feeds, [], targets);
    this.iterationsAtLoad = state.iterations;
    this.stepsSinceLoad = 0;
    this.stateOf = model;
    this.weightsOf = model;
    this.syncedWith = await this.stateIds(optimizer, model);
  }

  private async stateIds(
    optimizer: tf.MomentumOptimizer,
    model: tf.LayersModel,
  ): Promise<NonNullable<GraphEngine['syncedWith']>> {
    const [iterations, ...slots] = await optimizer.getWeights();
    // getWeights returns a fresh iterations scalar and the live slot variables (not to be disposed).
    iterations?.tensor.dispose();
    return {
      optimizer,
      iterations: optimizer.iterations,
      dataIds: [...model.weights.map((weight) => weight.read()), ...slots.map((slot) => slot.tensor)].map(
        (tensor) => tensor.dataId,
      ),
    };
  }

  private async holdsStateOf(optimizer: tf.MomentumOptimizer, model: tf.LayersModel): Promise<boolean> {
    const synced = this.syncedWith;
    if (synced === null || synced.optimizer !== optimizer || synced.iterations !== optimizer.iterations)
      return false;
    const now = await this.stateIds(optimizer, model);
    return (
      now.dataIds.length === synced.dataIds.length && now.dataIds.every((id, i) => id === synced.dataIds[i])
    );
  }

  private weightFeeds(model: tf.LayersModel): {
    feeds: Array<readonly [Output, TensorSpec]>;
    targets: string[];
  } {
    const feeds: Array<readonly [Output, TensorSpec]> = [];
    const targets: string[] = [];
    for (const weight of model.weights) {
      const variable = this.variables.weight(weight.originalName);
      feeds.push([variable.value, [DType.float32, variable.shape, weight.read().dataSync() as Float32Array]]);
      targets.push(variable.assign);
    }
    return { feeds, targets };
  }

  step(
    batch: { images: tf.Tensor4D; labels: tf.Tensor1D },
    learningRate: number,
    dropoutSeed: number,
  ): number {
    if (this.stateOf === null) throw new Error('graph engine: load(model, optimizer) before the first step');
    const batchSize = batch.images.shape[0];
    const graph = this.trainingGraph(batchSize);
    const feeds: Array<readonly [Output, TensorSpec]> = [
      [
        graph.images,
        [DType.float32, [batchSize, ...this.inputShape], batch.images.dataSync() as Float32Array],
      ],
      [graph.labels, [DType.int32, [batchSize], batch.labels.dataSync() as Int32Array]],
      [graph.learningRate, [DType.float32, [], Float32Array.of(learningRate)]],
      ...graph.masks.map(
        (mask, i) =>
          [
            mask.placeholder,
            [DType.float32, mask.shape, dropoutMultiplier(mask, dropoutCallSeed(dropoutSeed, i + 1))],
          ] as const,
      ),
    ];
    const [loss] = this.session.run(feeds, [graph.loss], graph.targets);
    this.stepsSinceLoad += 1;
    this.syncedWith = null;
    return (loss?.data[0] as number | undefined) ?? Number.NaN;
  }

  async store(model: tf.LayersModel, optimizer: tf.MomentumOptimizer): Promise<void> {
    this.checkModel(model);
    if (this.stepsSinceLoad === 0) return;
    const weights = model.weights;
    const reads = [
      ...weights.map((w) => this.variables.weight(w.originalName).read),
      ...this.variables.slots.map((s) => s.read),
    ];
    const values = this.session.run([], reads, []);
    tf.tidy(() => {
      weights.forEach((weight, i) =>
        weight.write(tf.tensor(values[i]?.data as Float32Array, weight.shape as number[])),
      );
    });
    const slotEntries = this.variables.slots.map((slot, i) => ({
      name: slot.name,
      tensor: tf.tensor(values[weights.length + i]?.data as Float32Array, slot.shape),
    }));
    try {
      const encoded = await tf.io.encodeWeights(slotEntries);
      await restoreOptimizerState(optimizer, model, {
        iterations: this.iterationsAtLoad + this.stepsSinceLoad,
        weights: { specs: encoded.specs, data: encoded.data },
      });
    } finally {
      tf.dispose(slotEntries.map((entry) => entry.tensor));
    }
    this.iterationsAtLoad += this.stepsSinceLoad;
    this.stepsSinceLoad = 0;
    this.weightsOf = model;
    this.syncedWith = await this.stateIds(optimizer, model);
  }

  /** Loss and accuracy of the model in inference mode, on the inference graph over the same variables. */
  async evaluate(
    model: tf.LayersModel,
    data: ImageDataset,
    indices: readonly number[],
    batchSize: number,
  ): Promise<EvaluationResult> {
    this.checkModel(model);
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new Error(
        `graph engine evaluate: batchSize must be a positive integer; got ${JSON.stringify(batchSize)}`,
      );
    }
    if (this.weightsOf !== model) {
      const { feeds, targets } = this.weightFeeds(model);
      this.session.run(feeds, [], targets);
      this.weightsOf = model;
      // The slots still belong to the last load; a step needs a fresh one.
      this.stateOf = null;
      this.syncedWith = null;
    }
    if (indices.length === 0)
      throw new Error('graph engine evaluate: no samples to evaluate (indices is empty)');
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < indices.length; start += batchSize) {
      const batchIndices = indices.slice(start, start + batchSize);
      const batch = gatherBatch(data, batchIndices);
      const [lossTotal, hits] = this.session.run(
        [
          [
            this.inference.images,
            [DType.float32, batch.images.shape, batch.images.dataSync() as Float32Array],
          ],
          [this.inference.labels, [DType.int32, batch.labels.shape, batch.labels.dataSync() as Int32Array]],
        ],
        [this.inference.lossSum, this.inference.correct],
        [],
      );
      tf.dispose([batch.images, batch.labels]);
      lossSum += lossTotal?.data[0] as number;
      correct += hits?.data[0] as number;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return { loss: lossSum / indices.length, accuracy: correct / indices.length, count: indices.length };
  }

  dispose(): void {
    this.session.close();
  }

  private checkModel(model: tf.LayersModel): void {
    const names = model.weights.map((w) => `${w.originalName}:${w.shape.join('x')}`).join();
    const own = this.model.weights.map((w) => `${w.originalName}:${w.shape.join('x')}`).join();
    if (names !== own) {
      throw new Error(
        `graph engine: model '${model.name}' is not the architecture this engine was built for ('${this.model.name}')`,
      );
    }
  }

  private trainingGraph(batchSize: number): TrainingGraph {
    const existing = this.training.get(batchSize);
    if (existing !== undefined) return existing;
    const b = this.builder;
    const scope = `train${batchSize}`;
    const images = b.placeholder(`${scope}/images`, DType.float32, [batchSize, ...this.inputShape]);
    const labels = b.placeholder(`${scope}/labels`, DType.int32, [batchSize]);
    const learningRate = b.placeholder(`${scope}/learning_rate`, DType.float32, []);
    const forward = translateForward(b, this.model, this.variables, images, 'train');
    const perSample = this.crossEntropy(scope, forward.logits, labels);
    const loss = b.op1(
      'Mean',
      `${scope}/loss`,
      [perSample, b.constInt(`${scope}/batch_axis`, [0])],
      [
        ['T', 'type', DType.float32],
        ['Tidx', 'type', DType.int32],
        ['keep_dims', 'bool', false],
      ],
    );
    const gradients = b.graph.addGradients(
      b.uniqueName(`${scope}/gradients`),
      [loss],
      forward.trainableReads,
      null,
    );
    const momentum = b.constFloat(`${scope}/momentum`, this.momentum);
    const targets = this.variables.trainable.map((variable, i) => {
      const gradient = gradients[i];
      if (gradient === null || gradient === undefined) {
        throw new Error(
          `graph engine: weight '${variable.name}' does not affect the loss, so it gets no gradient`,
        );
      }
      const slot = this.variables.slots[i];
      if (slot === undefined) throw new Error(`graph engine: weight '${variable.name}' has no momentum slot`);
      return b.effect(
        'ResourceApplyMomentum',
        `${scope}/apply/${variable.name}`,
        [variable.handle, slot.handle, learningRate, gradient, momentum],
        [
          ['T', 'type', DType.float32],
          ['use_locking', 'bool', false],
          ['use_nesterov', 'bool', this.nesterov],
        ],
      );
    });
    for (const stats of forward.batchStatistics) {
      const decay = b.constFloat(`${scope}/${stats.layer}/decay`, 1 - stats.momentum);
      for (const [role, value] of [
        ['moving_mean', stats.mean],
        ['moving_variance', stats.variance],
      ] as const) {
        const variable = this.variables.weight(`${stats.layer}/${role}`);
        const name = `${scope}/${stats.layer}/update_${role}`;
        // tfjs: moving ← moving − (moving − batch)·(1 − momentum), in this order of operations.
        const old = b.op1(
          'ReadVariableOp',
          `${name}/old`,
          [variable.handle],
          [['dtype', 'type', DType.float32]],
        );
        const delta = b.binary('Mul', `${name}/delta`, b.binary('Sub', `${name}/diff`, old, value), decay);
        targets.push(
          b.effect(
            'AssignVariableOp',
            name,
            [variable.handle, b.binary('Sub', `${name}/new`, old, delta)],
            [['dtype', 'type', DType.float32]],
          ),
        );
      }
    }
    const graph = { images, labels, learningRate, loss, masks: forward.dropoutMasks, targets };
    this.training.set(batchSize, graph);
    return graph;
  }

  private buildInference(): InferenceGraph {
    const b = this.builder;
    const images = b.placeholder('infer/images', DType.float32, [-1, ...this.inputShape]);
    const labels = b.placeholder('infer/labels', DType.int32, [-1]);
    const { logits } = translateForward(b, this.model, this.variables, images, 'infer');
    const perSample = this.crossEntropy('infer', logits, labels);
    const axis0 = b.constInt('infer/batch_axis', [0]);
    const sum: (name: string, x: Output, type: number) => Output = (name, x, type) =>
      b.op1(
        'Sum',
        name,
        [x, axis0],
        [
          ['T', 'type', type],
          ['Tidx', 'type', DType.int32],
          ['keep_dims', 'bool', false],
        ],
      );
    const predicted = b.op1(
      'ArgMax',
      'infer/argmax',
      [logits, b.constInt('infer/class_axis', 1)],
      [
        ['T', 'type', DType.float32],
        ['Tidx', 'type', DType.int32],
        ['output_type', 'type', DType.int32],
      ],
    );
    const hit = b.op1('Equal', 'infer/hit', [predicted, labels], [['T', 'type', DType.int32]]);
    const hits = b.op1(
      'Cast',
      'infer/hit_count',
      [hit],
      [
        ['SrcT', 'type', 10],
        ['DstT', 'type', DType.int32],
      ],
    );
    return {
      images,
      labels,
      lossSum: sum('infer/loss_sum', perSample, DType.float32),
      correct: sum('infer/correct', hits, DType.int32),
    };
  }

  /** Per-sample softmax cross-entropy against integer labels, as ml/training/softmax-cross-entropy. */
  private crossEntropy(scope: string, logits: Output, labels: Output): Output {
    const b = this.builder;
    const oneHot = b.op1(
      'OneHot',
      `${scope}/one_hot`,
      [
        labels,
        b.constInt(`${scope}/classes`, this.classes),
        b.constFloat(`${scope}/on`, 1),
        b.constFloat(`${scope}/off`, 0),
      ],
      [
        ['T', 'type', DType.float32],
        ['TI', 'type', DType.int32],
        ['axis', 'int', -1],
      ],
    );
    const [perSample] = b.op(
      'SoftmaxCrossEntropyWithLogits',
      `${scope}/cross_entropy`,
      [logits, oneHot],
      [['T', 'type', DType.float32]],
    );
    if (perSample === undefined)
      throw new Error('graph engine: SoftmaxCrossEntropyWithLogits returned no loss');
    return perSample;
  }
}

/**
 * StepSeededDropout's multiplier for one call: tf.dropout of ones with the call's seed. The data is read
 * outside tf.tidy: tidy walks its result for tensors key by key, which for SqueezeNet's 294,912-element
 * mask cost ~60 ms a step, more than half the step.
 */
function dropoutMultiplier(mask: DropoutMask, seed: number): Float32Array {
  const multiplier = tf.tidy(() => tf.dropout(tf.ones(mask.shape), mask.rate, undefined, seed));
  try {
    return multiplier.dataSync() as Float32Array;
  } finally {
    multiplier.dispose();
  }
}
