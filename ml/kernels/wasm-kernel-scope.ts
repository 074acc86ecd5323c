import {
  getKernel,
  type KernelFunc,
  type NamedAttrMap,
  type NamedTensorInfoMap,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/**
 * Runs the WASM backend's own kernels on backend-resident data from inside one of our kernels.
 * Calling kernel functions directly (not tf ops) keeps the intermediates out of the engine's tensor
 * bookkeeping, so the engine sees exactly one new tensor per gradient kernel; the scope frees every
 * intermediate it produced except the result.
 */
export class WasmKernelScope {
  private readonly intermediates: TensorInfo[] = [];

  constructor(private readonly backend: BackendWasm) {}

  /** Runs the kernel registered for the WASM backend under `kernelName`. */
  run(kernelName: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap = {}): TensorInfo {
    const config = getKernel(kernelName, 'wasm');
    if (config === undefined) {
      throw new Error(
        `WASM gradient kernel needs the WASM backend's '${kernelName}' kernel, which is not registered`,
      );
    }
    return this.call(config.kernelFunc, inputs, attrs, kernelName);
  }

  /** Runs a kernel function held directly (a backend kernel that a replacement delegates to). */
  call(
    kernelFunc: KernelFunc,
    inputs: NamedTensorInfoMap,
    attrs: NamedAttrMap,
    kernelName: string,
  ): TensorInfo {
    const output = kernelFunc({ inputs, backend: this.backend, attrs });
    if (Array.isArray(output)) {
      throw new Error(`WASM kernel '${kernelName}' returned several outputs where one was expected`);
    }
    this.intermediates.push(output);
    return output;
  }

  /** A small float32 constant (filters and the like) written straight into backend memory. */
  constant(shape: number[], values: Float32Array): TensorInfo {
    const info = this.backend.makeOutput(shape, 'float32', undefined, values);
    this.intermediates.push(info);
    return info;
  }

  /** Runs a kernel whose inputs are a list (AddN, Concat). */
  runOnList(kernelName: string, inputs: TensorInfo[], attrs: NamedAttrMap = {}): TensorInfo {
    return this.run(kernelName, inputs as unknown as NamedTensorInfoMap, attrs);
  }

  /** Frees an intermediate as soon as it is no longer needed, to keep the peak memory of a kernel low. */
  free(info: TensorInfo): void {
    const index = this.intermediates.indexOf(info);
    if (index < 0) return;
    this.intermediates.splice(index, 1);
    this.backend.disposeData(info.dataId);
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  /** Crops `x` to `size` starting at `begin`; returns `x` itself when nothing would be cut. */
  cropTo(x: TensorInfo, begin: number[], size: number[]): TensorInfo {
    const unchanged = begin.every((b) => b === 0) && size.every((s, axis) => s === x.shape[axis]);
    return unchanged ? x : this.run('Slice', { x }, { begin, size });
  }

  /**
   * Frees every intermediate except `result`, which the caller hands to the engine. A result that is one
   * of the kernel's inputs gets its own reference, as the engine disposes kernel outputs separately.
   */
  release(result?: TensorInfo): void {
    if (result !== undefined && !this.intermediates.includes(result)) this.backend.incRef(result.dataId);
    for (const info of this.intermediates) {
      if (info !== result) this.backend.disposeData(info.dataId);
    }
    this.intermediates.length = 0;
  }
}

/** Runs `body` in a fresh scope and frees its intermediates even when it throws. */
export function withWasmKernelScope(
  backend: BackendWasm,
  body: (scope: WasmKernelScope) => TensorInfo,
): TensorInfo {
  const scope = new WasmKernelScope(backend);
  let result: TensorInfo | undefined;
  try {
    result = body(scope);
    return result;
  } finally {
    scope.release(result);
  }
}
