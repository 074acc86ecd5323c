import type * as tf from '@tensorflow/tfjs';
import type { StepEngine } from '../training/step-engine';
import { GraphEngine } from './graph-engine';
import { loadGraphEngineBinding } from './native-binding';
import { graphEngineThreads } from './session-config';

/** Which engine trains: the graph engine (one TF graph per step) or tfjs' op-by-op path. */
export type EngineName = 'graph' | 'tfjs';
export type EngineRequest = 'auto' | EngineName;
export const ENGINE_REQUESTS: readonly EngineRequest[] = ['auto', 'graph', 'tfjs'];

export interface EngineSelection {
  engine: EngineName;
  /** One line for the worker's start-up report. */
  detail: string;
  /** The step engine for a model and its optimizer (undefined: tfjs trains). */
  stepEngineFor(model: tf.LayersModel, optimizer: tf.MomentumOptimizer): StepEngine | undefined;
}

/**
 * `auto` takes the graph engine when its addon loads, else tfjs; a model the translator refuses (a layer
 * outside the zoo's) then trains on tfjs. `graph` uses the engine for every model and throws when it
 * cannot run, with the reason. Every zoo model's equivalence with the tfjs path and cross-engine
 * checkpoints are shown by test/unit/graph-engine. The thread count is fixed here, once per process.
 */
export function selectEngine(request: EngineRequest, threads?: number): EngineSelection {
  if (!ENGINE_REQUESTS.includes(request)) {
    throw new Error(`Unknown engine ${JSON.stringify(request)}; choose one of ${ENGINE_REQUESTS.join(', ')}`);
  }
  if (request === 'tfjs') return tfjsSelection('tfjs (requested)');
  const load = loadGraphEngineBinding();
  if (!load.ok) {
    if (request === 'graph') throw new Error(`Engine 'graph' is not available: ${load.reason}`);
    return tfjsSelection(`tfjs (graph engine skipped: ${load.reason})`);
  }
  const sessionThreads = graphEngineThreads(threads);
  return {
    engine: 'graph',
    detail:
      `graph (TensorFlow ${load.binding.tensorflowVersion} C library, ${sessionThreads} intra-op thread${sessionThreads === 1 ? '' : 's'})` +
      (request === 'auto' ? '; models it cannot translate on tfjs' : ''),
    stepEngineFor: (model, optimizer) => {
      const engine = cachedEngine(model, optimizer);
      if (engine instanceof GraphEngine) return engine;
      if (request === 'graph') throw engine;
      return undefined;
    },
  };
}

function tfjsSelection(detail: string): EngineSelection {
  return { engine: 'tfjs', detail, stepEngineFor: () => undefined };
}

// One graph per architecture and optimizer setting per process: intervals of a run reuse it, and the
// engine loads each interval's model state at its start.
// A model the translator refuses is remembered with the refusal, so it is not translated again.
const engines = new Map<string, GraphEngine | Error>();

function cachedEngine(model: tf.LayersModel, optimizer: tf.MomentumOptimizer): GraphEngine | Error {
  const config = optimizer.getConfig();
  const key = JSON.stringify([
    model.toJSON(null, false),
    model.weights.map((w) => [w.originalName, w.shape]),
    config['momentum'],
    config['useNesterov'],
  ]);
  let engine = engines.get(key);
  if (engine === undefined) {
    try {
      engine = GraphEngine.create(model, optimizer);
    } catch (error) {
      engine = error instanceof Error ? error : new Error(String(error));
    }
    engines.set(key, engine);
  }
  return engine;
}
