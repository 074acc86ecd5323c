import type { KernelFunc } from '@tensorflow/tfjs';

/**
 * A faster kernel for a name the WASM backend already registers. `replace` receives the backend's own
 * kernel function so the replacement can delegate the cases it does not speed up (and never calls
 * itself through the registry).
 */
export interface WasmKernelReplacement {
  kernelName: string;
  replace(native: KernelFunc): KernelFunc;
}
