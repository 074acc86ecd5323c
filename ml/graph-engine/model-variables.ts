import type * as tf from '@tensorflow/tfjs';
import type { GraphBuilder } from './graph-builder';
import { DType, type Output } from './native-binding';

/** One resource variable of the graph (a model weight or a momentum slot) and how to load and read it. */
export interface GraphVariable {
  /** The tfjs weight's originalName ('block1_conv/kernel'), or the slot's `${index}:${name}/momentum`. */
  name: string;
  shape: number[];
  handle: Output;
  /** Placeholder fed with a value by `assign`. */
  value: Output;
  assign: string;
  read: Output;
}

/**
 * The model's weights as `VarHandleOp` resource variables, keyed by the tfjs weight's originalName
 * (stable across model instances, unlike `name`), each with a placeholder-fed assignment to load it and
 * a read to store it back.
 */
export class ModelVariables {
  readonly weights = new Map<string, GraphVariable>();
  /** One momentum slot per trainable weight, in model.trainableWeights order (the checkpoint's order). */
  readonly slots: GraphVariable[] = [];
  readonly trainable: GraphVariable[] = [];

  constructor(builder: GraphBuilder, model: tf.LayersModel) {
    for (const weight of model.weights) {
      this.weights.set(
        weight.originalName,
        createVariable(builder, `var/${weight.originalName}`, weight.originalName, weight.shape),
      );
    }
    model.trainableWeights.forEach((weight, i) => {
      const variable = this.weight(weight.originalName);
      this.trainable.push(variable);
      const name = `${i}:${weight.originalName}/momentum`;
      this.slots.push(createVariable(builder, `slot/${i}/${weight.originalName}`, name, weight.shape));
    });
  }

  weight(originalName: string): GraphVariable {
    const variable = this.weights.get(originalName);
    if (variable === undefined) throw new Error(`graph engine: the model has no weight '${originalName}'`);
    return variable;
  }

  all(): GraphVariable[] {
    return [...this.weights.values(), ...this.slots];
  }
}

function createVariable(
  builder: GraphBuilder,
  opName: string,
  name: string,
  rawShape: ReadonlyArray<number | null>,
): GraphVariable {
  const shape = rawShape.map((d) => {
    if (d === null) throw new Error(`graph engine: weight '${name}' has an unknown dimension`);
    return d;
  });
  const handle = builder.op1(
    'VarHandleOp',
    opName,
    [],
    [
      ['dtype', 'type', DType.float32],
      ['shape', 'shape', shape],
      // An empty shared_name makes every variable one resource; the graph's process-unique id keeps
      // two engines of one process apart too.
      ['shared_name', 'string', `${builder.id}/${opName}`],
    ],
  );
  const value = builder.placeholder(`${opName}/value`, DType.float32, shape);
  const assign = builder.effect(
    'AssignVariableOp',
    `${opName}/assign`,
    [handle, value],
    [['dtype', 'type', DType.float32]],
  );
  const read = readVariable(builder, `${opName}/read`, handle);
  return { name, shape, handle, value, assign, read };
}

export function readVariable(builder: GraphBuilder, name: string, handle: Output): Output {
  return builder.op1('ReadVariableOp', name, [handle], [['dtype', 'type', DType.float32]]);
}
