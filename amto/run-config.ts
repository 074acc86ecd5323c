/**
 * The run config: one JSON object describes a whole AMTO run. Defaults are the paper's settings
 * (§IV-B) where the paper has one. `parseRunConfig` validates an untrusted object and reports every
 * problem at once, each naming its field; `runConfigSchema` alone checks fields one by one and has no
 * cross-field checks, so always go through `parseRunConfig`.
 */
import { z } from 'zod';
import { flag, integer, integerIn, numberAbove, oneOf } from './document-fields';
import { describeIssues, isPlainObject, valueAt } from './document-problems';
import { RUN_ID_PATTERN, RUN_ID_RULE } from './run-id';
import { randomValidationSize, smallestTrainSize } from './splits';
import { DEFAULT_TASK_QUEUES } from './task-queues';

const URL_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
const S3_URL = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/;

/** A local directory or an s3://bucket/prefix URL (the object store the workers are configured for). */
function dataLocation() {
  const rule = 'must be a local directory path or an s3://bucket/prefix URL';
  return z
    .string(rule)
    .min(1, rule)
    .refine((value) => (URL_SCHEME.test(value) ? S3_URL.test(value) : true), rule)
    .refine(
      (value) => !value.startsWith('s3://') || !/\/\.{1,2}(\/|$)|\/\//.test(value.slice('s3://'.length)),
      'must not hold "." or ".." or empty segments (an s3:// URL names keys inside its bucket)',
    );
}

/** A section of the config; unknown fields are rejected so a typo never passes silently. */
function section<Shape extends z.core.$ZodLooseShape>(shape: Shape) {
  return z.strictObject(shape, 'must be an object');
}

const fashionMnistDataset = section({
  kind: z.literal('fashion-mnist').meta({ description: 'Fashion-MNIST from a local directory.' }),
  path: z
    .string('must be a directory path')
    .min(1, 'must be a directory path')
    .default('/usr/share/datasets/fashion-mnist')
    .meta({
      description: 'Directory of the Fashion-MNIST IDX files (Debian package dataset-fashion-mnist).',
    }),
  subset: integer(1).optional().meta({
    description: 'Use only the first N training images after a seeded shuffle (quick runs); absent = all.',
  }),
  testSubset: integer(1).optional().meta({ description: 'Use only the first N test images; absent = all.' }),
});

const imageFolderDataset = section({
  kind: z
    .literal('image-folder')
    .meta({ description: 'Class-per-subfolder images (UCMerced, RSSCN7, OxfordPets layout).' }),
  path: dataLocation().meta({
    description: 'Class-per-subfolder images (JPEG/PNG): a local directory or s3://bucket/prefix.',
  }),
  testPath: dataLocation()
    .optional()
    .meta({ description: 'Separate test set in the same layout; when given, testFraction is ignored.' }),
  testFraction: z
    .number('must be a number ≥ 0 and < 1')
    .gte(0, 'must be a number ≥ 0 and < 1')
    .lt(1, 'must be a number ≥ 0 and < 1')
    .default(0.2)
    .meta({ description: 'Share of the images held out as the test set (seeded); 0 = no test set.' }),
  name: z
    .string('must be a non-empty string of at most 64 characters')
    .min(1, 'must be a non-empty string of at most 64 characters')
    .max(64, 'must be a non-empty string of at most 64 characters')
    .optional()
    .meta({
      description:
        'Display name of the dataset (progress, search attributes); absent = derived from the path.',
    }),
});

const DATASET_KINDS = '"fashion-mnist" or "image-folder"';

const datasetSchema = z
  .discriminatedUnion('kind', [fashionMnistDataset, imageFolderDataset], {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? `must be ${DATASET_KINDS}`
        : `must be an object whose "kind" is ${DATASET_KINDS}`,
  })
  .meta({ description: 'The gross training set (and test set) to use.' });

const PRETRAINED_URL =
  'must be a file:// URL of a Keras/torchvision weights file or a file:// or s3:// URL of a TensorFlow.js model (model.json)';

const modelSchema = section({
  arch: oneOf(['small-cnn', 'squeezenet1_1', 'mobilenet_v2', 'densenet121'])
    .default('small-cnn')
    .meta({ description: 'Network architecture from the model zoo.' }),
  inputSize: integerIn(8, 1024).optional().meta({
    description:
      'Square input side in pixels; absent = the model zoo default for the architecture and dataset.',
  }),
  channels: z
    .union([z.literal(1), z.literal(3)], 'must be 1 or 3')
    .optional()
    .meta({
      description: 'Input channels; absent = the model zoo default for the architecture and dataset.',
    }),
  widthMultiplier: numberAbove(0)
    .default(1)
    .meta({ description: 'Scales the number of filters in every layer (MobileNet-style width).' }),
  pretrained: z
    .string(PRETRAINED_URL)
    .regex(/^(file|s3):\/\/.+/, PRETRAINED_URL)
    .optional()
    .meta({
      description:
        'Initial weights (e.g. ImageNet): a Keras .h5/.keras or torchvision .pth/.safetensors file (file://, ' +
        'file://~/ = home), or a tfjs model.json (file:// or s3://, e.g. from `amto import-weights`); absent = random init.',
    }),
  sameInit: flag().default(true).meta({
    description:
      'Start every task from the same initial weights; false = each task draws its own seeded initialisation.',
  }),
});

const splitSchema = section({
  mode: oneOf(['random', 'kfold']).default('random').meta({
    description: '"random": each task draws its own validation set (the paper); "kfold": disjoint folds.',
  }),
  validationFraction: z
    .number('must be a number > 0 and < 1')
    .gt(0, 'must be a number > 0 and < 1')
    .lt(1, 'must be a number > 0 and < 1')
    .default(0.1)
    .meta({ description: 'Share of the gross training set each task validates on ("random" mode only).' }),
  stratified: flag()
    .default(true)
    .meta({ description: 'Keep class proportions in every validation set / fold.' }),
});

const MILESTONES_RULE = 'must be a list of strictly increasing integers ≥ 1';

const optimizerSchema = section({
  learningRate: numberAbove(0)
    .default(1e-3)
    .meta({ description: 'Initial learning rate of Nesterov momentum SGD.' }),
  momentum: z
    .number('must be a number ≥ 0 and < 1')
    .gte(0, 'must be a number ≥ 0 and < 1')
    .lt(1, 'must be a number ≥ 0 and < 1')
    .default(0.9)
    .meta({ description: 'SGD momentum.' }),
  nesterov: flag().default(true).meta({ description: 'Use Nesterov momentum.' }),
  milestones: z
    .array(z.int(MILESTONES_RULE).min(1, MILESTONES_RULE), MILESTONES_RULE)
    .refine((steps) => steps.every((step, i) => i === 0 || step > (steps[i - 1] as number)), MILESTONES_RULE)
    .default([2000, 7000])
    .meta({ description: 'Global iterations at which the learning rate is multiplied by gamma.' }),
  gamma: z
    .number('must be a number > 0 and ≤ 1')
    .gt(0, 'must be a number > 0 and ≤ 1')
    .lte(1, 'must be a number > 0 and ≤ 1')
    .default(0.1)
    .meta({ description: 'Learning-rate factor applied at each milestone.' }),
});

const augmentSchema = section({
  horizontalFlip: flag().default(true).meta({ description: 'Random horizontal flip of training images.' }),
});

const transferSchema = section({
  mode: oneOf(['adaptive', 'uniform', 'none']).default('adaptive').meta({
    description:
      '"adaptive": donors by softmax of the relationship list (AMTO); "uniform": uniform donors, list frozen; "none": no transfer (M independent runs).',
  }),
  temperature: numberAbove(0)
    .default(1)
    .meta({ description: 'Softmax temperature of the donor choice; 1 is the paper’s eq. 4.' }),
});

const earlyStoppingSchema = section({
  patience: integer(1)
    .default(10)
    .meta({ description: 'p: validations (rounds) without improvement before stopping.' }),
  mode: oneOf(['any', 'all'])
    .default('any')
    .meta({ description: '"any": stop when one task stalls (the paper); "all": when every task has.' }),
  minDelta: z
    .number('must be a number ≥ 0')
    .gte(0, 'must be a number ≥ 0')
    .default(0)
    .meta({ description: 'Smallest decrease of the validation loss that counts as an improvement.' }),
});

const checkpointSchema = section({
  everySteps: integer(1).default(50).meta({
    description: 'Save an in-interval checkpoint every k steps so a retried interval resumes there.',
  }),
  keepRounds: integer(1)
    .default(3)
    .meta({ description: 'Rounds of checkpoints kept besides the current and best ones.' }),
});

const QUEUE_RULE = 'must be a non-empty task queue name';

const queuesSchema = section({
  master: z
    .string(QUEUE_RULE)
    .min(1, QUEUE_RULE)
    .default(DEFAULT_TASK_QUEUES.master)
    .meta({ description: 'Task queue of master training.' }),
  slave: z
    .string(QUEUE_RULE)
    .min(1, QUEUE_RULE)
    .default(DEFAULT_TASK_QUEUES.slave)
    .meta({ description: 'Task queue of slave training.' }),
  computingUnits: integer(0).default(0).meta({
    description:
      '0 = all tasks share the two queues; n > 0 = task m uses the queues named by master and slave with the suffix "-k", k = m mod n.',
  }),
});

const runConfigShape = {
  $schema: z.string('must be a string').optional().meta({
    description: 'Ignored by amto; lets editors validate the file against amto/run-config.schema.json.',
  }),
  runId: z
    .string(RUN_ID_RULE)
    .regex(RUN_ID_PATTERN, RUN_ID_RULE)
    .optional()
    .meta({ description: 'Names the run in storage keys; absent = the workflow id.' }),
  seed: integer(0)
    .default(1)
    .meta({ description: 'Seed of every random choice (splits, batch order, donors).' }),
  dataset: datasetSchema,
  model: modelSchema.prefault({}).meta({ description: 'The network every task trains.' }),
  // Each task holds two models per round on its workers; beyond a few dozen a run is a typo, not a plan.
  tasks: integerIn(1, 256)
    .default(4)
    .meta({ description: 'M, the number of tasks; 1 = STO, the conventional baseline.' }),
  split: splitSchema.prefault({}).meta({ description: 'How the M (train, validation) splits are drawn.' }),
  interval: integer(1)
    .default(100)
    .meta({ description: 'c: training iterations per round between transfers.' }),
  maxIterations: integerIn(1, 1_000_000_000)
    .default(10000)
    .meta({ description: 'Iteration budget of every task.' }),
  batchSize: integer(1).default(64).meta({ description: 'Training mini-batch size.' }),
  evalBatchSize: integer(1)
    .default(256)
    .meta({ description: 'Batch size of validation and test evaluation.' }),
  optimizer: optimizerSchema
    .prefault({})
    .meta({ description: 'Nesterov momentum SGD and its step-decay schedule.' }),
  augment: augmentSchema.prefault({}).meta({ description: 'Training-time data augmentation.' }),
  transfer: transferSchema.prefault({}).meta({ description: 'Knowledge transfer between tasks.' }),
  earlyStopping: earlyStoppingSchema
    .prefault({})
    .meta({ description: 'When the run stops before the budget.' }),
  checkpoint: checkpointSchema.prefault({}).meta({ description: 'Checkpoint frequency and retention.' }),
  queues: queuesSchema.prefault({}).meta({ description: 'Temporal task queues of the training workers.' }),
  continueAsNewEveryRounds: integer(1)
    .default(25)
    .meta({ description: 'Rounds per workflow run before continue-as-new keeps the history small.' }),
};

export const runConfigSchema = section(runConfigShape).meta({
  title: 'AMTO run config',
  description: 'One AMTO training run (Zhang et al., arXiv 2007.01016). Only "dataset" is required.',
});

/** A validated run config with every default filled in. */
export type RunConfig = z.output<typeof runConfigSchema>;
/** What a user may write: every field but `dataset` (and its `kind`) is optional. */
export type RunConfigInput = z.input<typeof runConfigSchema>;

export type RunConfigParseResult = { ok: true; config: RunConfig } | { ok: false; problems: string[] };

const sectionSchemas: Record<string, { shape: object }> = {
  model: modelSchema,
  split: splitSchema,
  optimizer: optimizerSchema,
  augment: augmentSchema,
  transfer: transferSchema,
  earlyStopping: earlyStoppingSchema,
  checkpoint: checkpointSchema,
  queues: queuesSchema,
};

/** The field names allowed in the object at `path` (the config is two levels deep). */
function allowedFields(path: readonly PropertyKey[], input: unknown): string[] {
  const [first] = path;
  if (first === undefined) return Object.keys(runConfigShape);
  if (first === 'dataset') {
    const kind = valueAt(input, ['dataset', 'kind']);
    return Object.keys(kind === 'image-folder' ? imageFolderDataset.shape : fashionMnistDataset.shape);
  }
  const schema = sectionSchemas[String(first)];
  return schema === undefined ? [] : Object.keys(schema.shape);
}

/** Each top-level field of the input that is valid on its own, with its defaults (for cross-field checks). */
function validTopLevelFields(input: unknown): Partial<RunConfig> {
  if (!isPlainObject(input)) return {};
  const fields: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(runConfigShape)) {
    const result = schema.safeParse(input[name]);
    if (result.success) fields[name] = result.data;
  }
  return fields as Partial<RunConfig>;
}

/** Problems of the dataset size against the split and batch size, when the size is known (dataset.subset). */
function datasetSizeProblems(config: Partial<RunConfig>): string[] {
  const { dataset, split, tasks, batchSize } = config;
  if (
    dataset?.kind !== 'fashion-mnist' ||
    dataset.subset === undefined ||
    split === undefined ||
    tasks === undefined
  ) {
    return [];
  }
  const n = dataset.subset;
  if (split.mode === 'kfold') {
    if (tasks < 2) return [];
    if (tasks > n) {
      return [`tasks: "kfold" needs at most one task per sample (got tasks ${tasks}, dataset.subset ${n})`];
    }
  } else {
    const validationSize = randomValidationSize(n, split.validationFraction);
    if (validationSize === 0) {
      return [
        `split.validationFraction: ${split.validationFraction} of dataset.subset ${n} gives an empty validation set; raise split.validationFraction or dataset.subset`,
      ];
    }
    if (validationSize === n) {
      return [
        `split.validationFraction: ${split.validationFraction} of dataset.subset ${n} leaves no training sample; lower the fraction or raise dataset.subset`,
      ];
    }
  }
  const trainSize = smallestTrainSize({
    n,
    tasks,
    mode: split.mode,
    validationFraction: split.validationFraction,
  });
  if (batchSize !== undefined && batchSize > trainSize) {
    return [
      `batchSize: ${batchSize} is larger than the smallest training split (${trainSize} samples of dataset.subset ${n}); lower batchSize or raise dataset.subset`,
    ];
  }
  return [];
}

function crossFieldProblems(config: Partial<RunConfig>): string[] {
  const problems: string[] = [];
  if (config.split?.mode === 'kfold' && config.tasks !== undefined && config.tasks < 2) {
    problems.push(
      `split.mode: "kfold" needs tasks ≥ 2 (got tasks ${config.tasks}); use "random" for a single task`,
    );
  }
  if (
    config.interval !== undefined &&
    config.maxIterations !== undefined &&
    config.interval > config.maxIterations
  ) {
    problems.push(
      `interval: must not exceed maxIterations (got interval ${config.interval}, maxIterations ${config.maxIterations}); lower interval or raise maxIterations`,
    );
  }
  problems.push(...datasetSizeProblems(config));
  return problems;
}

/**
 * Validates an untrusted run config (e.g. parsed JSON) and fills in the defaults. On failure, lists
 * every problem, each starting with the field path, e.g. `tasks: must be an integer ≥ 1 (got 0)`.
 */
export function parseRunConfig(input: unknown): RunConfigParseResult {
  const parsed = runConfigSchema.safeParse(input);
  const problems = [
    ...(parsed.success ? [] : describeIssues(parsed.error.issues, input, { root: 'config', allowedFields })),
    ...crossFieldProblems(validTopLevelFields(input)),
  ];
  if (parsed.success && problems.length === 0) return { ok: true, config: parsed.data };
  return { ok: false, problems };
}
