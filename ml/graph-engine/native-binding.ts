import { existsSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The graph-engine addon (native/graph-engine), built by infra/build-graph-engine.sh against the
 * TensorFlow C library in the cache. Loading it is optional: without it amto trains on tfjs.
 */

/** TF_DataType codes the engine uses. */
export const DType = { float32: 1, int32: 3 } as const;
export type DTypeCode = (typeof DType)[keyof typeof DType];

/** One output of a graph operation: [operation name, output index]. */
export type Output = readonly [string, number];
/** A tensor crossing the binding: [dtype, dims, data]. */
export type TensorSpec = readonly [DTypeCode, readonly number[], Float32Array | Int32Array];
export type Attr =
  | readonly [string, 'int' | 'float' | 'type', number]
  | readonly [string, 'bool', boolean]
  | readonly [string, 'string', string]
  | readonly [string, 'ints' | 'shape', readonly number[]]
  | readonly [string, 'tensor', TensorSpec];

export interface FetchedTensor {
  dtype: number;
  dims: number[];
  data: Float32Array | Int32Array;
}

export interface NativeGraph {
  /** Adds an operation; inputs are outputs or, for a list input, arrays of them. Returns its output count. */
  addOperation(
    type: string,
    name: string,
    inputs: ReadonlyArray<Output | readonly Output[]>,
    attrs: readonly Attr[],
    controlInputs?: readonly string[],
  ): number;
  /** d(sum of ys · dys)/d xs, as new operations named under `prefix`; null where x does not reach y. */
  addGradients(
    prefix: string,
    ys: readonly Output[],
    xs: readonly Output[],
    dys: readonly Output[] | null,
  ): Array<[string, number] | null>;
  /** The static shape of an output (-1 for unknown dimensions), or null when even the rank is unknown. */
  outputShape(output: Output): number[] | null;
}

export interface NativeSession {
  /** One TF_SessionRun: feeds, then fetched outputs, then operations run for their effects. */
  run(
    feeds: ReadonlyArray<readonly [Output, TensorSpec]>,
    fetches: readonly Output[],
    targets: readonly string[],
  ): FetchedTensor[];
  close(): void;
}

export interface NativeBinding {
  Graph: new () => NativeGraph;
  /** `config` is a serialized tensorflow.ConfigProto. */
  Session: new (graph: NativeGraph, config: Uint8Array) => NativeSession;
  tensorflowVersion: string;
}

export type BindingLoad = { ok: true; binding: NativeBinding; file: string } | { ok: false; reason: string };

const ADDON_PATH = ['native', 'graph-engine', 'amto_graph_engine.node'];
// ml/graph-engine in the source tree, dist/ml/graph-engine once built: the addon is linked at the root.
const ADDON =
  [path.join(__dirname, '..', '..'), path.join(__dirname, '..', '..', '..')]
    .map((root) => path.join(root, ...ADDON_PATH))
    .find((file) => existsSync(file)) ?? path.join(__dirname, '..', '..', ...ADDON_PATH);

let load: BindingLoad | undefined;

/** Loads the addon once per process; the reason says how to get it when it cannot load. */
export function loadGraphEngineBinding(): BindingLoad {
  load ??= loadOnce();
  return load;
}

function loadOnce(): BindingLoad {
  if (!existsSync(ADDON)) {
    return {
      ok: false,
      reason: `the graph-engine addon is not built (${path.relative(process.cwd(), ADDON)} is missing); run \`bash infra/build-graph-engine.sh\`, which says what it needs`,
    };
  }
  // TensorFlow logs its start-up banners at INFO to stderr unless told otherwise before it loads.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  // As on the native tfjs backend: the same seed gives the same run, bit for bit (TF reads it at start-up).
  process.env.TF_DETERMINISTIC_OPS ??= '1';
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const binding = require(ADDON) as NativeBinding;
    return { ok: true, binding, file: ADDON };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      reason: `the graph-engine addon failed to load (${message.split('\n', 1)[0]}); rebuild it with \`bash infra/build-graph-engine.sh\``,
    };
  }
}
