import { DType, type Attr, type DTypeCode, type NativeGraph, type Output } from './native-binding';

/**
 * Typed helpers over the addon's generic addOperation: each returns the new operation's outputs and
 * names it uniquely under the builder's scope, so the translator reads like the model it translates.
 */
let graphsBuilt = 0;

export class GraphBuilder {
  private readonly used = new Set<string>();
  /** Unique among this process's graphs (variables' shared names use it). */
  readonly id = `graph${++graphsBuilt}`;

  constructor(readonly graph: NativeGraph) {}

  /** A unique, TF-valid operation name from `name` (tfjs layer names may hold characters TF rejects). */
  uniqueName(name: string): string {
    const base = name.replace(/[^A-Za-z0-9_.\-/]/g, '_').replace(/^[^A-Za-z0-9.]/, 'x');
    let candidate = base;
    for (let i = 1; this.used.has(candidate); i++) candidate = `${base}_${i}`;
    this.used.add(candidate);
    return candidate;
  }

  op(
    type: string,
    name: string,
    inputs: ReadonlyArray<Output | readonly Output[]>,
    attrs: readonly Attr[] = [],
    controlInputs: readonly string[] = [],
  ): Output[] {
    const unique = this.uniqueName(name);
    const count = this.graph.addOperation(type, unique, inputs, attrs, controlInputs);
    return Array.from({ length: count }, (_, i) => [unique, i] as const);
  }

  /** The first output of an operation that has one. */
  op1(
    type: string,
    name: string,
    inputs: ReadonlyArray<Output | readonly Output[]>,
    attrs: readonly Attr[] = [],
  ): Output {
    const [output] = this.op(type, name, inputs, attrs);
    if (output === undefined) throw new Error(`graph builder: ${type} '${name}' has no output`);
    return output;
  }

  /** An operation with no outputs (an assignment), returned by name for session targets. */
  effect(type: string, name: string, inputs: readonly Output[], attrs: readonly Attr[] = []): string {
    const unique = this.uniqueName(name);
    this.graph.addOperation(type, unique, inputs, attrs);
    return unique;
  }

  placeholder(name: string, dtype: DTypeCode, shape: readonly number[]): Output {
    return this.op1(
      'Placeholder',
      name,
      [],
      [
        ['dtype', 'type', dtype],
        ['shape', 'shape', shape],
      ],
    );
  }

  constFloat(name: string, values: readonly number[] | number, dims?: readonly number[]): Output {
    return this.constant(
      name,
      DType.float32,
      Float32Array.from(typeof values === 'number' ? [values] : values),
      typeof values === 'number' ? [] : dims,
    );
  }

  constInt(name: string, values: readonly number[] | number, dims?: readonly number[]): Output {
    return this.constant(
      name,
      DType.int32,
      Int32Array.from(typeof values === 'number' ? [values] : values),
      typeof values === 'number' ? [] : dims,
    );
  }

  /** A constant of `data`, shaped `dims` (default: a vector). */
  private constant(
    name: string,
    dtype: DTypeCode,
    data: Float32Array | Int32Array,
    dims?: readonly number[],
  ): Output {
    return this.op1(
      'Const',
      name,
      [],
      [
        ['dtype', 'type', dtype],
        ['value', 'tensor', [dtype, dims ?? [data.length], data]],
      ],
    );
  }

  /** A float32 binary op (Add, Sub, Mul, …). */
  binary(type: string, name: string, a: Output, b: Output): Output {
    return this.op1(type, name, [a, b], [['T', 'type', DType.float32]]);
  }

  unary(type: string, name: string, x: Output): Output {
    return this.op1(type, name, [x], [['T', 'type', DType.float32]]);
  }

  /** Static shape of an output; the translator needs it for reshapes and dropout masks. */
  shape(output: Output): number[] {
    const dims = this.graph.outputShape(output);
    if (dims === null) throw new Error(`graph builder: the shape of ${output[0]}:${output[1]} is unknown`);
    return dims;
  }
}
