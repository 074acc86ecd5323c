import type { ModelArch } from '../ml/models';

/** Input sizes of the benches: small enough for runs of minutes on two cores; small-cnn is a Fashion-MNIST model. */
export const BENCH_INPUT_SHAPES: Record<ModelArch, [number, number, number]> = {
  'small-cnn': [28, 28, 1],
  squeezenet1_1: [64, 64, 3],
  mobilenet_v2: [32, 32, 3],
  densenet121: [32, 32, 3],
};
