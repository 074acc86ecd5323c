import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import {
  addedWasmKernelNames,
  registerWasmGradientKernels,
  replacedWasmKernelNames,
} from './kernels/register-wasm-gradient-kernels';
import { registerNativeActivationGradients } from './native/activation-gradients';
import { NATIVE_TENSORFLOW_VERSION, nativeTensorflowPackage } from './native-tensorflow-build';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export type BackendRequest = 'auto' | BackendName;

export interface BackendSelection {
  backend: BackendName;
  /** One line saying what runs and, for `auto`, why faster backends were passed over. */
  detail: string;
}

export interface SelectBackendOptions {
  /** Receives the one-line report of a new choice (default: console.info). */
  log?: (line: string) => void;
  /**
   * Native TensorFlow's intra-op threads (default: half the cores, so a master and a slave worker on one
   * machine do not oversubscribe it). Fixed for the process by the first load.
   */
  threads?: number;
}

interface NativeOptions {
  threads: number;
}

/** Two training workers (a master and a slave) per machine share its cores. */
export function defaultNativeThreads(): number {
  return Math.max(1, Math.floor(availableParallelism() / 2));
}

export const BACKEND_REQUESTS: readonly BackendRequest[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

/** A backend that loaded (with what it is) or why it cannot run, as a sentence a user can act on. */
type Availability = { ok: true; detail: string } | { ok: false; reason: string };

// Each backend is loaded once per process: loading native code or a WASM module twice gains nothing.
let tensorflowLoad: Promise<Availability> | undefined;
let wasmLoad: Promise<Availability> | undefined;
let active: BackendSelection | undefined;

/**
 * Makes `requested` the process's TensorFlow.js backend and reports the choice in one log line.
 * `auto` takes native TensorFlow (the tfjs-node-gpu or tfjs-node addon setup built against the PyPI
 * wheel) when it loads, else WASM (with the project's gradient kernels), else the plain CPU backend; an explicit request that cannot run throws, naming the package
 * and how to fix it. Idempotent: asking again for the active backend changes and logs nothing.
 */
export async function selectBackend(
  requested: BackendRequest,
  options: SelectBackendOptions = {},
): Promise<BackendSelection> {
  if (!BACKEND_REQUESTS.includes(requested)) {
    throw new Error(
      `Unknown compute backend ${JSON.stringify(requested)}; choose one of ${BACKEND_REQUESTS.join(', ')}`,
    );
  }
  const candidates: readonly BackendName[] =
    requested === 'auto' ? ['tensorflow', 'wasm', 'cpu'] : [requested];
  const skipped: string[] = [];
  for (const backend of candidates) {
    const availability = await start(backend, {
      threads: options.threads ?? defaultNativeThreads(),
    });
    if (!availability.ok) {
      if (requested !== 'auto')
        throw new Error(`Compute backend '${backend}' is not available: ${availability.reason}`);
      skipped.push(`${backend} skipped: ${availability.reason}`);
      continue;
    }
    const selection = { backend, detail: [availability.detail, ...skipped].join('; ') };
    if (active?.backend !== selection.backend || active.detail !== selection.detail) {
      (options.log ?? ((line: string) => console.info(line)))(
        `compute backend: ${backend} — ${selection.detail}`,
      );
    }
    active = selection;
    return selection;
  }
  // Unreachable: the CPU backend ships with @tensorflow/tfjs and always starts.
  throw new Error(`No compute backend could start: ${skipped.join('; ')}`);
}

/** Loads `backend` if needed and makes it the engine's backend. */
async function start(backend: BackendName, native: NativeOptions): Promise<Availability> {
  let availability: Availability;
  if (backend === 'tensorflow') {
    tensorflowLoad ??= loadTensorflow(native);
    availability = await tensorflowLoad;
  } else if (backend === 'wasm') {
    wasmLoad ??= loadWasm();
    availability = await wasmLoad;
  } else {
    availability = { ok: true, detail: 'plain JavaScript CPU backend (slow)' };
  }
  if (!availability.ok || tf.getBackend() === backend) return availability;
  if (!(await tf.setBackend(backend))) {
    return {
      ok: false,
      reason: `TensorFlow.js could not initialise its '${backend}' backend (see the warning above)`,
    };
  }
  return availability;
}

async function loadTensorflow(native: NativeOptions): Promise<Availability> {
  const install = `run \`npm run setup\` (it builds ${nativeTensorflowPackage.cpu} / ${nativeTensorflowPackage.gpu} against the TensorFlow ${NATIVE_TENSORFLOW_VERSION} wheel from PyPI and says what is missing), or choose the wasm or cpu backend`;
  const packageName = builtNativePackage();
  if (packageName === undefined) {
    return { ok: false, reason: `no native TensorFlow addon is built in this checkout; ${install}` };
  }
  // TensorFlow reads these once, when its first context starts: they must be set before the addon loads.
  process.env.TF_NUM_INTRAOP_THREADS = String(native.threads);
  process.env.TF_NUM_INTEROP_THREADS = '1';
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  // The same seed must give the same transfer decisions run to run; measured cost on CPU: none (docs/benchmarks.md).
  process.env.TF_DETERMINISTIC_OPS = '1';
  process.env.TF_FORCE_GPU_ALLOW_GROWTH ??= 'true';
  try {
    // A computed specifier keeps the optional package out of type checking and bundling.
    const specifier: string = packageName;
    await import(specifier);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, reason: `${packageName} failed to load (${firstLine(message)}); ${install}` };
  }
  if (tf.findBackendFactory('tensorflow') === null) {
    return {
      ok: false,
      reason: `${packageName} loaded but registered no 'tensorflow' backend with this process's @tensorflow/tfjs ${tf.version_core} (two copies of tfjs-core?); ${install}`,
    };
  }
  registerNativeActivationGradients();
  const gpu = packageName === nativeTensorflowPackage.gpu;
  const devices = gpu
    ? `GPU build${process.env.CUDA_VISIBLE_DEVICES === undefined ? '' : `, CUDA_VISIBLE_DEVICES=${process.env.CUDA_VISIBLE_DEVICES}`} (uses a GPU when CUDA finds one, else the CPU)`
    : 'CPU';
  return {
    ok: true,
    detail: `${packageName} on TensorFlow ${nativeTensorflowVersion() ?? NATIVE_TENSORFLOW_VERSION}, ${devices}, ${native.threads} intra-op thread${native.threads === 1 ? '' : 's'}, deterministic ops`,
  };
}

/** The native package whose addon setup built and linked here (the GPU one first), if any. */
function builtNativePackage(): string | undefined {
  for (const packageName of [nativeTensorflowPackage.gpu, nativeTensorflowPackage.cpu]) {
    try {
      const packageJson = require.resolve(`${packageName}/package.json`);
      // node-pre-gyp is how the package itself finds its addon; asking it keeps the two in agreement.
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- resolved from the package's own folder
      const preGyp = require(require.resolve('@mapbox/node-pre-gyp', { paths: [packageJson] })) as {
        find(path: string): string;
      };
      if (existsSync(preGyp.find(packageJson))) return packageName;
    } catch {
      // Not installed (or its loader is missing): try the next one.
    }
  }
  return undefined;
}

function nativeTensorflowVersion(): string | undefined {
  const backend = tf.engine().findBackend('tensorflow') as { binding?: { TF_Version?: string } } | null;
  return backend?.binding?.TF_Version;
}

async function loadWasm(): Promise<Availability> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // The binaries ship in the package's dist folder; pointing there keeps everything local (no fetch).
    const binaries = path.dirname(
      require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'),
    );
    wasm.setWasmPaths(`${binaries}${path.sep}`);
    registerWasmGradientKernels();
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    // tfjs-backend-wasm's threaded build starts its workers from blob: URLs, which Node's worker_threads
    // reject (ERR_WORKER_PATH); the package itself reports threads unsupported under Node.
    return {
      ok: true,
      detail:
        `@tensorflow/tfjs-backend-wasm ${wasm.version_wasm} (${simd === true ? 'SIMD' : 'no SIMD'}, one thread) ` +
        `with the project's gradient kernels (${addedWasmKernelNames.length} added, ${replacedWasmKernelNames.length} replaced)`,
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, reason: `@tensorflow/tfjs-backend-wasm could not be loaded (${firstLine(message)})` };
  }
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? text;
}
