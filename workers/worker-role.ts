import { DEFAULT_TASK_QUEUES } from '../amto';

export const WORKER_ROLES = ['control', 'master', 'slave'] as const;
export type WorkerRole = (typeof WORKER_ROLES)[number];

/** Default task queues; `--task-queue amto-master-0` pins a worker to one computing unit. */
export const defaultTaskQueue: Record<WorkerRole, string> = DEFAULT_TASK_QUEUES;

/** What a worker logs once it polls its queue; whoever starts one (CLI, tests) waits for this text. */
export const WORKER_READY_TEXT = 'polling task queue';
