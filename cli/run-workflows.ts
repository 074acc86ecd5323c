import { WorkflowNotFoundError, type Client, type WorkflowExecutionInfo } from '@temporalio/client';
import type { Environment } from '../infra/environment';
import { InvalidKeyError } from '../storage/errors';
import { runStateKey } from '../storage/keys';
import { connectTemporal, workflowIdOf } from './temporal-client';
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

/** A run and the workflow that carries it now. */
export interface RunWorkflow {
  runId: string;
  workflowId: string;
}

/**
 * The run id an amtoTraining workflow trains: its continuation's, else its config's `runId`, else the
 * workflow id itself (read from the input of the workflow's latest execution).
 */
async function runIdOfWorkflow(client: Client, workflowId: string): Promise<string> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const data = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
  if (!data || data.length === 0) return workflowId;
  const input = JSON.parse(Buffer.from(data).toString('utf8')) as {
    runId?: unknown;
    continuation?: { runId?: unknown };
  };
  const runId = input.continuation?.runId ?? input.runId;
  return typeof runId === 'string' && runId !== '' ? runId : workflowId;
}

/**
 * Finds a run by its run id (workflows amto-<runId> and its resumes) or by the id of any workflow
 * that trains it (e.g. one started with `temporal workflow start --workflow-id X`); null when Temporal
 * knows neither.
 */
export async function findRunWorkflow(client: Client, id: string): Promise<RunWorkflow | null> {
  const byRunId = await currentWorkflowId(client, id);
  if (byRunId !== null) return { runId: id, workflowId: byRunId };
  if (!(await exists(client, id))) return null;
  const runId = await runIdOfWorkflow(client, id);
  return { runId, workflowId: (await currentWorkflowId(client, runId)) ?? id };
}

/** Like findRunWorkflow, but a run Temporal does not know is a usage error. */
export async function requireRunWorkflow(client: Client, id: string): Promise<RunWorkflow> {
  const found = await findRunWorkflow(client, id);
  if (found === null) {
    throw new UsageError(
      `no workflow for run "${id}" (looked for workflow ids ${workflowIdOf(id)} and ${id}); ` +
        'list runs with `amto list`',
    );
  }
  return found;
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

async function hasRunState(environment: Environment, id: string): Promise<boolean> {
  // Loaded here, not at the top: status and stop never touch the store (nor load tfjs through it).
  const { objectStoreFor } = await import('../workers/create-deps');
  try {
    return await objectStoreFor(environment).exists(runStateKey(id));
  } catch (error) {
    if (error instanceof InvalidKeyError) return false;
    throw error;
  }
}

/**
 * The run id a command argument names: itself when the store has that run's state, else the run of the
 * Temporal workflow with that id (when Temporal is reachable and knows it), else the argument unchanged
 * (so the store's "no saved state" error names it).
 */
export async function runIdOfArgument(environment: Environment, id: string): Promise<string> {
  if (await hasRunState(environment, id)) return id;
  const session = await connectTemporal(environment).catch(() => null);
  if (session === null) return id;
  try {
    return (await findRunWorkflow(session.client, id))?.runId ?? id;
  } finally {
    await session.close();
  }
}
