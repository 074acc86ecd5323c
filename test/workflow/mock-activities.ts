/**
 * Scripted activities for testing the workflow's control logic (never the ML or storage): losses are a
 * pure function of (round, task, role, source task), so the test can recompute every decision with amto/.
 */
import type {
  AmtoActivities,
  EvaluateInput,
  PreparedRun,
  RunStateDocument,
  TrainIntervalInput,
  TrainIntervalResult,
} from '../../activities/contracts';
import { datasetNameFor } from '../../activities/dataset-name';
import { createStream, type TrainingRole } from '../../amto';

/** A deterministic pseudo-random number in [0, 1) from integers (no shared state): amto's own generator. */
function noise(...values: number[]): number {
  return createStream(0, 'scripted-activity', ...values).nextFloat();
}

export function scriptedValLoss(round: number, task: number, role: TrainingRole, sourceTask: number): number {
  return 2 / round + noise(round, task, role === 'master' ? 0 : 1, sourceTask) * 0.5;
}

export function scriptedTrainResult(
  input: Pick<TrainIntervalInput, 'round' | 'task' | 'role' | 'sourceTask'>,
): TrainIntervalResult {
  const valLoss = scriptedValLoss(input.round, input.task, input.role, input.sourceTask);
  return {
    checkpoint: `r${input.round}/t${input.task}/${input.role}`,
    trainLoss: valLoss * 0.9,
    valLoss,
    valAccuracy: 1 / (1 + valLoss),
    stepsRun: 0,
    resumedFromStep: null,
    diverged: null,
  };
}

export function scriptedPreparedRun(tasks: number): PreparedRun {
  return {
    initialCheckpoints: Array.from({ length: tasks }, (_, task) => `r0/t${task}/init`),
    splitManifestKey: 'splits.json',
    datasetName: 'fashion-mnist',
    trainSizes: Array.from({ length: tasks }, () => 900),
    validationSizes: Array.from({ length: tasks }, () => 100),
    testSize: 50,
    numClasses: 10,
    storageUrl: 's3://mock',
    forwardFlops: 1e6,
  };
}

export interface MockRecorder {
  trained: TrainIntervalInput[];
  documents: RunStateDocument[];
  /** prepareRun names one initial checkpoint for every task (sameInit's one shared checkpoint). */
  sharedInitialCheckpoint?: boolean;
  /** Awaited before each trainInterval returns: lets a test hold a round open. */
  beforeTrainReturns?: (input: TrainIntervalInput) => Promise<void>;
}

export function createMockActivities(recorder: MockRecorder): AmtoActivities {
  return {
    async prepareRun({ config }) {
      const prepared = scriptedPreparedRun(config.tasks);
      if (recorder.sharedInitialCheckpoint === true) prepared.initialCheckpoints.fill('r0/init');
      return { ...prepared, datasetName: datasetNameFor(config) };
    },
    async trainInterval(input) {
      recorder.trained.push(input);
      await recorder.beforeTrainReturns?.(input);
      return scriptedTrainResult(input);
    },
    async evaluate({ checkpoint, splits }: EvaluateInput) {
      return splits.map((split, index) => ({
        split,
        loss: 1,
        accuracy: 0.5 + noise(checkpoint.length, index, checkpoint.charCodeAt(1)) * 0.4,
        count: 100,
      }));
    },
    async writeRunState({ document }) {
      recorder.documents.push(document);
    },
    async applyRetention() {
      return { deleted: 0 };
    },
  };
}
