import * as tf from '@tensorflow/tfjs';
import * as path from 'node:path';
import {
  addedWasmKernelNames,
  registerWasmGradientKernels,
  replacedWasmKernelNames,
} from './kernels/register-wasm-gradient-kernels';

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
}

export const BACKEND_REQUESTS: readonly BackendRequest[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

const TFJS_NODE_GPU = '@tensorflow/tfjs-node-gpu';

/** A backend that loaded (with what it is) or why it cannot run, as a sentence a user can act on. */
type Availability = { ok: true; detail: string } | { ok: false; reason: string };

// Each backend is loaded once per process: loading native code or a WASM module twice gains nothing.
let tensorflowLoad: Promise<Availability> | undefined;
let wasmLoad: Promise<Availability> | undefined;
let active: BackendSelection | undefined;

/**
 * Makes `requested` the process's TensorFlow.js backend and reports the choice in one log line.
 * `auto` takes @tensorflow/tfjs-node-gpu when it loads, else WASM (with the project's gradient
 * kernels), else the plain CPU backend; an explicit request that cannot run throws, naming the package
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
    const availability = await start(backend);
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
async function start(backend: BackendName): Promise<Availability> {
  let availability: Availability;
  if (backend === 'tensorflow') {
    tensorflowLoad ??= loadTensorflow();
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

async function loadTensorflow(): Promise<Availability> {
  const install = `install it with \`npm install ${TFJS_NODE_GPU}@${tf.version_core}\` (Linux x86-64 with an NVIDIA GPU and the CUDA/cuDNN libraries TensorFlow needs), or choose the wasm or cpu backend`;
  try {
    // A computed specifier keeps the optional package out of type checking and bundling.
    const specifier: string = TFJS_NODE_GPU;
    await import(specifier);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const notInstalled = isModuleNotFound(error) && message.includes(TFJS_NODE_GPU);
    return {
      ok: false,
      reason: notInstalled
        ? `${TFJS_NODE_GPU} is not installed; ${install}`
        : `${TFJS_NODE_GPU} is installed but failed to load (${firstLine(message)}); reinstall it or check its CUDA/cuDNN libraries, or choose the wasm or cpu backend`,
    };
  }
  if (tf.findBackendFactory('tensorflow') === null) {
    return {
      ok: false,
      reason: `${TFJS_NODE_GPU} loaded but registered no 'tensorflow' backend with this process's @tensorflow/tfjs ${tf.version_core} (two copies of tfjs-core?); ${install}`,
    };
  }
  return { ok: true, detail: `${TFJS_NODE_GPU} (native TensorFlow; uses the GPU when CUDA finds one)` };
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

function isModuleNotFound(error: unknown): boolean {
  // require() says MODULE_NOT_FOUND; an ESM import() (as under tsx) says ERR_MODULE_NOT_FOUND.
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND';
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? text;
}
