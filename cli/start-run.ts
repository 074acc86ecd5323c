import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Environment } from '../infra/environment';
import type { AmtoTrainingInput } from '../workflows/amto-training';
import { DEFAULT_TASK_QUEUES, type RunConfigInput } from '../amto';
import { workflowIdOf, workflowUiUrl } from './temporal-client';
import { UsageError } from './usage-error';

export interface StartedRun {
  runId: string;
  workflowId: string;
  uiUrl: string;
}

/** Starts `amtoTraining` for a validated config whose runId is set; the workflow id is `amto-<runId>`. */
export async function startRun(
  client: Client,
  environment: Environment,
  input: RunConfigInput & { runId: string },
  taskQueue: string = DEFAULT_TASK_QUEUES.control,
): Promise<StartedRun> {
  const workflowId = workflowIdOf(input.runId);
  await startWorkflow(client, workflowId, input, taskQueue);
  return { runId: input.runId, workflowId, uiUrl: workflowUiUrl(environment, workflowId) };
}

/** Starts the workflow; an id already in use is a usage error that says what to do instead. */
export async function startWorkflow(
  client: Client,
  workflowId: string,
  input: AmtoTrainingInput,
  taskQueue: string,
): Promise<void> {
  try {
    await client.workflow.start('amtoTraining', { taskQueue, workflowId, args: [input] });
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) {
      throw new UsageError(
        `a workflow with id ${workflowId} already exists; choose another --run-id ` +
          '(or follow that run with `amto status <runId> --follow`)',
      );
    }
    throw error;
  }
}
