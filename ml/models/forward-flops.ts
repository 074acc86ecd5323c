import type * as tf from '@tensorflow/tfjs';

/**
 * Floating-point operations of one forward pass for a single image, counted the usual way: multiply-adds
 * of Conv2D, DepthwiseConv2D and Dense layers, times 2. Biases, batch norm, activations, pooling,
 * padding, additions and concatenations are left out (they are a few percent at most).
 */
export function forwardFlops(model: tf.LayersModel): number {
  let flops = 0;
  for (const layer of model.layers) {
    const className = layer.getClassName();
    if (className !== 'Conv2D' && className !== 'DepthwiseConv2D' && className !== 'Dense') {
      continue;
    }
    const inputShape = singleTensor(layer.input, layer.name).shape;
    const outputShape = singleTensor(layer.output, layer.name).shape;
    const inChannels = inputShape[inputShape.length - 1] ?? 0;
    const outputs = outputShape.slice(1).reduce<number>((product, d) => product * (d ?? 0), 1);
    if (className === 'Dense') {
      flops += 2 * outputs * inChannels;
      continue;
    }
    const kernel = layer.getWeights()[0];
    if (kernel === undefined) {
      throw new Error(`forwardFlops: layer ${layer.name} has no kernel`);
    }
    const [kernelHeight = 0, kernelWidth = 0] = kernel.shape;
    // A conv output sums kh·kw·Cin products; a depthwise output sums kh·kw (one input channel).
    const macsPerOutput = kernelHeight * kernelWidth * (className === 'Conv2D' ? inChannels : 1);
    flops += 2 * outputs * macsPerOutput;
  }
  return flops;
}

function singleTensor(
  tensors: tf.SymbolicTensor | tf.SymbolicTensor[],
  layerName: string,
): tf.SymbolicTensor {
  if (!Array.isArray(tensors)) {
    return tensors;
  }
  if (tensors.length !== 1 || tensors[0] === undefined) {
    throw new Error(`forwardFlops: layer ${layerName} has ${tensors.length} inputs or outputs; expected one`);
  }
  return tensors[0];
}
