import { loadEnvironment } from '../../infra/environment';
import { BACKEND_REQUESTS, defaultNativeThreads, type BackendRequest } from '../../ml/backend';
import { ENGINE_REQUESTS, type EngineRequest } from '../../ml/graph-engine/select-engine';
import { runWorker } from '../../workers/run-worker';
import { WORKER_ROLES, defaultTaskQueue, type WorkerRole } from '../../workers/worker-role';
import { type Command, noArguments, parseCommandArgs } from '../command';
import { UsageError } from '../usage-error';

const usage = `Usage: amto worker --role control|master|slave [--task-queue NAME] [--backend auto|tensorflow|wasm|cpu] [--engine auto|graph|tfjs] [--device N] [--threads N]

  --role        control: runs the amtoTraining workflow and light activities (queue "${defaultTaskQueue.control}")
                master:  trains task masters (queue "${defaultTaskQueue.master}")
                slave:   trains task slaves  (queue "${defaultTaskQueue.slave}")
  --task-queue  poll another queue, e.g. amto-master-0 to pin a computing unit (config queues.computingUnits)
  --backend     compute backend (default auto: native TensorFlow — GPU when CUDA finds one, else CPU —
                when setup built it, else WASM, else plain JavaScript CPU); the first line says which and why
  --engine      what runs a training step (default auto: the graph engine, the whole step as one
                TensorFlow graph, where setup built its addon; else tfjs op by op on --backend)
  --device      GPU index for this worker (sets CUDA_VISIBLE_DEVICES before TensorFlow loads; memory growth on)
  --threads     native TensorFlow's intra-op threads (default ${defaultNativeThreads()}: half of this machine's cores, so a
                master and a slave worker on it do not oversubscribe them)

Runs until SIGINT/SIGTERM, then shuts down gracefully. Start one per GPU, on any machine that reaches
Temporal (TEMPORAL_ADDRESS) and the object store (MINIO_ENDPOINT).`;

export const workerCommand: Command = {
  name: 'worker',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(this, argv, {
      role: { type: 'string' },
      'task-queue': { type: 'string' },
      backend: { type: 'string', default: 'auto' },
      engine: { type: 'string', default: 'auto' },
      device: { type: 'string' },
      threads: { type: 'string' },
    });
    noArguments(this, positionals);
    const role = values.role;
    if (role === undefined || !(WORKER_ROLES as readonly string[]).includes(role)) {
      throw new UsageError(`amto worker: --role must be one of ${WORKER_ROLES.join(', ')}\n\n${usage}`);
    }
    const backend = values.backend as string;
    if (!(BACKEND_REQUESTS as readonly string[]).includes(backend)) {
      throw new UsageError(
        `amto worker: --backend must be one of ${BACKEND_REQUESTS.join(', ')} (got "${backend}")`,
      );
    }
    const engine = values.engine as string;
    if (!(ENGINE_REQUESTS as readonly string[]).includes(engine)) {
      throw new UsageError(
        `amto worker: --engine must be one of ${ENGINE_REQUESTS.join(', ')} (got "${engine}")`,
      );
    }
    let device: number | undefined;
    if (values.device !== undefined) {
      device = Number(values.device);
      if (!Number.isInteger(device) || device < 0) {
        throw new UsageError(`amto worker: --device must be a GPU index ≥ 0 (got "${values.device}")`);
      }
    }
    let threads: number | undefined;
    if (values.threads !== undefined) {
      threads = Number(values.threads);
      if (!Number.isInteger(threads) || threads < 1) {
        throw new UsageError(`amto worker: --threads must be an integer ≥ 1 (got "${values.threads}")`);
      }
    }
    await runWorker({
      role: role as WorkerRole,
      environment: loadEnvironment(),
      taskQueue: values['task-queue'],
      backend: backend as BackendRequest,
      engine: engine as EngineRequest,
      device,
      threads,
    });
    return 0;
  },
};
