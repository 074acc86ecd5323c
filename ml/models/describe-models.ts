import { MODEL_ARCHS, type ModelArch } from './build-options';
import { buildModel } from './build-model';
import { forwardFlops } from './forward-flops';

export interface ModelDescription {
  arch: ModelArch;
  params: number;
  trainableParams: number;
  /** One forward pass of one image, in 10^9 FLOPs (see forwardFlops). */
  forwardGflops: number;
}

/** Sizes of every zoo model at a square RGB input, for the `amto models` command. */
export function describeModels({
  inputSize,
  classes,
}: {
  inputSize: number;
  classes: number;
}): ModelDescription[] {
  return MODEL_ARCHS.map((arch) => {
    const model = buildModel({ arch, inputShape: [inputSize, inputSize, 3], classes });
    try {
      const trainableParams = model.trainableWeights.reduce(
        (sum, w) => sum + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1),
        0,
      );
      return { arch, params: model.countParams(), trainableParams, forwardGflops: forwardFlops(model) / 1e9 };
    } finally {
      model.dispose();
    }
  });
}
