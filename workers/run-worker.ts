import { Worker } from '@temporalio/worker';
import { createActivities } from '../activities/create-activities';
import type { Environment } from '../infra/environment';
import { selectBackend, type BackendRequest } from '../ml/backend';
import { selectEngine, type EngineRequest } from '../ml/graph-engine/select-engine';
import { activityBoundary } from './activity-boundary';
import { createActivityDeps } from './create-deps';
import { intervalTiming } from './interval-timing';
import { processMemoryLog } from './process-memory';
import { registerSearchAttributes } from './search-attribute-registration';
import { connectTemporalWorker } from './temporal-connection';
import { defaultTaskQueue, WORKER_READY_TEXT, type WorkerRole } from './worker-role';

export interface WorkerOptions {
  role: WorkerRole;
  environment: Environment;
  taskQueue?: string;
  backend: BackendRequest;
  /** Which engine trains (default auto: the graph engine where its addon loads, else tfjs). */
  engine?: EngineRequest;
  /** GPU index for this worker (one model per device); sets CUDA_VISIBLE_DEVICES before TensorFlow loads. */
  device?: number;
  /** Native TensorFlow intra-op threads (default: half the machine's cores). */
  threads?: number;
  log?: (line: string) => void;
}

/**
 * Runs one worker until SIGINT/SIGTERM, then shuts down gracefully (the activity in flight gets the grace
 * time to finish; otherwise Temporal retries it elsewhere from its last in-interval checkpoint).
 * control: the workflow and the light activities; master/slave: training, one activity at a time.
 */
export async function runWorker(options: WorkerOptions): Promise<void> {
  const log = options.log ?? ((line: string) => console.log(line));
  const { role, environment } = options;
  if (options.device !== undefined) process.env.CUDA_VISIBLE_DEVICES = String(options.device);
  const backend = await selectBackend(options.backend, { log, threads: options.threads });
  const engine = selectEngine(options.engine ?? 'auto', options.threads);
  const taskQueue = options.taskQueue ?? defaultTaskQueue[role];
  if (role === 'control') await registerSearchAttributes(environment, log);
  const connection = await connectTemporalWorker(environment.temporal);
  try {
    const worker = await Worker.create({
      connection,
      namespace: environment.temporal.namespace,
      taskQueue,
      activities: createActivities(createActivityDeps(environment, engine)),
      // The boundary outermost: its timer and error mapping cover the timing interceptor too.
      interceptors: { activity: [activityBoundary, intervalTiming(), processMemoryLog] },
      ...(role === 'control'
        ? { workflowsPath: require.resolve('../workflows'), maxConcurrentActivityTaskExecutions: 4 }
        : // One model per device: a training worker runs one interval at a time.
          { maxConcurrentActivityTaskExecutions: 1 }),
      shutdownGraceTime: '20 seconds',
      // Heartbeats name in-interval checkpoints: send them within a second, not at the default 30-60 s
      // throttle, or a worker killed after saving one would leave its retry starting from scratch.
      maxHeartbeatThrottleInterval: '1 second',
    });
    log(
      `[worker] ${role} worker ${WORKER_READY_TEXT} "${taskQueue}" on ${backend.backend}, engine ${engine.detail} (${environment.temporal.address})`,
    );
    await worker.run();
    log(`[worker] ${role} worker stopped`);
  } finally {
    await connection.close();
  }
}
