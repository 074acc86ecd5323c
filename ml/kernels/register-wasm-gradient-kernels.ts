import {
  getKernel,
  registerKernel,
  unregisterKernel,
  type KernelConfig,
  type KernelFunc,
} from '@tensorflow/tfjs';
import { avgPoolGradReplacement } from './avg-pool-grad';
import { batchMatMulReplacement } from './batch-mat-mul';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter';
import { conv2dBackpropInputReplacement } from './conv2d-backprop-input';
import { depthwiseConv2dNativeBackpropFilterConfig } from './depthwise-conv2d-native-backprop-filter';
import { depthwiseConv2dNativeBackpropInputConfig } from './depthwise-conv2d-native-backprop-input';
import { maxPoolGradReplacement } from './max-pool-grad';
import { meanReplacement } from './mean';
import { sumReplacement } from './sum';
import { tileReplacement } from './tile';
import type { WasmKernelReplacement } from './wasm-kernel-replacement';

/** Backward-pass kernels tfjs-backend-wasm 4.22 lacks for the model zoo, built from kernels it has. */
const addedKernels: readonly KernelConfig[] = [
  conv2dBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
];

/** Training-step kernels tfjs-backend-wasm 4.22 runs as slow scalar loops (MaxPoolGrad also wrongly). */
const replacedKernels: readonly WasmKernelReplacement[] = [
  conv2dBackpropInputReplacement,
  batchMatMulReplacement,
  tileReplacement,
  sumReplacement,
  meanReplacement,
  maxPoolGradReplacement,
  avgPoolGradReplacement,
];

export const addedWasmKernelNames: readonly string[] = addedKernels.map((config) => config.kernelName);
export const replacedWasmKernelNames: readonly string[] = replacedKernels.map((r) => r.kernelName);

const installedReplacements = new WeakSet<KernelFunc>();

/**
 * Registers the project's WASM gradient kernels: adds the missing ones (a kernel the backend already
 * provides, say in a later tfjs release, is left alone) and swaps the slow ones for faster versions
 * that delegate to the originals for cases they do not cover. Idempotent. Returns the kernel names
 * this call registered.
 */
export function registerWasmGradientKernels(): string[] {
  const registered: string[] = [];
  for (const config of addedKernels) {
    if (getKernel(config.kernelName, 'wasm') !== undefined) continue;
    registerKernel(config);
    registered.push(config.kernelName);
  }
  for (const { kernelName, replace } of replacedKernels) {
    const native = getKernel(kernelName, 'wasm');
    if (native === undefined || installedReplacements.has(native.kernelFunc)) continue;
    const kernelFunc = replace(native.kernelFunc);
    installedReplacements.add(kernelFunc);
    unregisterKernel(kernelName, 'wasm');
    // Keep the backend's setup/dispose hooks: its kernel function, which the replacement delegates
    // to, depends on them (the engine runs setupFunc when the backend initialises).
    registerKernel({ ...native, kernelFunc });
    registered.push(kernelName);
  }
  return registered;
}
