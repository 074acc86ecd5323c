/** The model zoo's architectures and the validated options every builder receives. */

export const MODEL_ARCHS = ['small-cnn', 'squeezenet1_1', 'mobilenet_v2', 'densenet121'] as const;
export type ModelArch = (typeof MODEL_ARCHS)[number];

/**
 * Which reference implementation the network reproduces layer for layer, so that its weights import
 * unchanged: Keras Applications and torchvision pad stride-2 convolutions differently and use other
 * batch-norm epsilons. SqueezeNet 1.1 exists only in torchvision; small-cnn is amto's own ('keras' layers).
 */
export const MODEL_VARIANTS = ['keras', 'torchvision'] as const;
export type ModelVariant = (typeof MODEL_VARIANTS)[number];

/** The variants each architecture is built in, the default first. */
export const ARCH_VARIANTS: Record<ModelArch, readonly ModelVariant[]> = {
  'small-cnn': ['keras'],
  squeezenet1_1: ['torchvision'],
  mobilenet_v2: ['keras', 'torchvision'],
  densenet121: ['keras', 'torchvision'],
};

export interface BuildModelOptions {
  arch: ModelArch;
  /** [height, width, channels] of one input image. */
  inputShape: readonly [number, number, number];
  classes: number;
  /** Scales the channel counts (MobileNetV2's alpha); 1 is the reference architecture. */
  widthMultiplier?: number;
  /** Seed of every weight initialiser; two builds with the same options give identical weights. */
  seed?: number;
  /** The reference implementation to follow; absent = the architecture's first in ARCH_VARIANTS. */
  variant?: ModelVariant;
}

export interface ValidatedBuildOptions {
  arch: ModelArch;
  variant: ModelVariant;
  inputShape: [number, number, number];
  classes: number;
  widthMultiplier: number;
  seed: number;
}

/** Seeds are combined with a per-layer counter as seed * 2^16 + counter, so they must stay below 2^31. */
const MAX_SEED = 2 ** 31 - 1;

export function isModelArch(value: unknown): value is ModelArch {
  return typeof value === 'string' && (MODEL_ARCHS as readonly string[]).includes(value);
}

/** Checks the options and fills defaults; `minInputSize` is the smallest height/width the arch builds at. */
export function validateBuildOptions(
  options: BuildModelOptions,
  minInputSize: (arch: ModelArch) => number,
): ValidatedBuildOptions {
  const { arch, inputShape, classes, widthMultiplier = 1, seed = 0 } = options;
  if (!isModelArch(arch)) {
    throw new Error(`buildModel: arch must be one of ${MODEL_ARCHS.join(', ')}; got ${JSON.stringify(arch)}`);
  }
  const variants = ARCH_VARIANTS[arch];
  const variant = options.variant ?? (variants[0] as ModelVariant);
  if (!variants.includes(variant)) {
    throw new Error(
      `buildModel: ${arch} is built as ${variants.join(' or ')}; got variant ${JSON.stringify(variant)}`,
    );
  }
  if (
    !Array.isArray(inputShape) ||
    inputShape.length !== 3 ||
    !inputShape.every((d) => Number.isInteger(d) && d > 0)
  ) {
    throw new Error(
      `buildModel: inputShape must be [height, width, channels] of positive integers; got ${JSON.stringify(inputShape)}`,
    );
  }
  const [height, width, channels] = inputShape;
  const min = minInputSize(arch);
  if (height < min || width < min) {
    throw new Error(
      `buildModel: inputShape ${JSON.stringify(inputShape)} is too small for ${arch}: height and width must be at least ${min} (resize the images)`,
    );
  }
  if (!Number.isInteger(classes) || classes < 2) {
    throw new Error(`buildModel: classes must be an integer of at least 2; got ${JSON.stringify(classes)}`);
  }
  if (typeof widthMultiplier !== 'number' || !Number.isFinite(widthMultiplier) || widthMultiplier <= 0) {
    throw new Error(
      `buildModel: widthMultiplier must be a positive number; got ${JSON.stringify(widthMultiplier)}`,
    );
  }
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new Error(`buildModel: seed must be an integer in [0, ${MAX_SEED}]; got ${JSON.stringify(seed)}`);
  }
  return { arch, variant, inputShape: [height, width, channels], classes, widthMultiplier, seed };
}
