import { WorkflowNotFoundError, type Client, type WorkflowExecutionInfo } from '@temporalio/client';
import { workflowIdOf } from './temporal-client';
import { UsageError } from './usage-error';

const resumedSuffix = /-resumed-\d+$/;

/** The workflow id of the n-th `amto resume` of a run. */
export function resumedWorkflowId(runId: string, n: number): string {
  return `${workflowIdOf(runId)}-resumed-${n}`;
}

/** The run id a workflow id names (`amto-<runId>` or `amto-<runId>-resumed-<n>`). */
export function runIdOfWorkflowId(workflowId: string): string {
  return workflowId.replace(/^amto-/, '').replace(resumedSuffix, '');
}

async function exists(client: Client, workflowId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

/** How many times the run was resumed (its resumed workflows are numbered 1..n). */
export async function resumeCount(client: Client, runId: string): Promise<number> {
  let n = 0;
  while (await exists(client, resumedWorkflowId(runId, n + 1))) n += 1;
  return n;
}

/**
 * The workflow that carries a run now: its latest resumed workflow, else `amto-<runId>`; null when
 * Temporal knows neither (e.g. its history was deleted).
 */
export async function currentWorkflowId(client: Client, runId: string): Promise<string | null> {
  const resumed = await resumeCount(client, runId);
  if (resumed > 0) return resumedWorkflowId(runId, resumed);
  return (await exists(client, workflowIdOf(runId))) ? workflowIdOf(runId) : null;
}

/** Like currentWorkflowId, but a run Temporal does not know is a usage error. */
export async function requireWorkflowId(client: Client, runId: string): Promise<string> {
  const workflowId = await currentWorkflowId(client, runId);
  if (workflowId === null) {
    throw new UsageError(
      `no workflow for run "${runId}" (looked for ${workflowIdOf(runId)}); list runs with \`amto list\``,
    );
  }
  return workflowId;
}

/** amtoTraining workflows, newest first, one per workflow id (continued-as-new runs left out). */
export async function listRunWorkflows(client: Client, limit: number): Promise<WorkflowExecutionInfo[]> {
  const seen = new Set<string>();
  const runs: WorkflowExecutionInfo[] = [];
  for await (const info of client.workflow.list({ query: "WorkflowType = 'amtoTraining'" })) {
    if (seen.has(info.workflowId)) continue;
    seen.add(info.workflowId);
    runs.push(info);
    if (runs.length >= limit) break;
  }
  return runs;
}
