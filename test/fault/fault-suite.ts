/**
 * The setup every fault suite shares, done once per suite: a Temporal client, a fleet of real
 * `amto worker` processes to fault, and the undisturbed reference run of the suite's seed; then, per
 * scenario, starting a run on a fleet, awaiting it (a failure carries the workers' output), and the
 * checks that nothing was lost.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import type { ActivityDeps } from '../../activities/activity-deps';
import type { RunConfigInput } from '../../amto';
import type { Environment } from '../../infra/environment';
import { createActivityDeps } from '../../workers/create-deps';
import { amtoTraining } from '../../workflows';
import type { WorkerRole } from '../../workers/worker-role';
import {
  startWorkerFleet,
  workerStartTimeoutMs,
  type WorkerFleet,
  type WorkerHost,
} from '../helpers/worker-processes';
import {
  assertNothingLost,
  faultConfig,
  finishedRun,
  referenceRun,
  roundsOf,
  type FinishedRun,
} from './fault-run';

export interface FaultSuiteOptions {
  /** Names the suite's task queues and run ids (e.g. `srv`, `fault`). */
  label: string;
  environment: Environment;
  /** Where each worker runs and how it trains (see test/helpers/worker-processes.ts). */
  hostOf: (role: WorkerRole) => WorkerHost;
  /** The reference run's rounds: as many as the longest scenario compared with it. */
  referenceRounds?: number;
}

/** One scenario's run: its id, its config and its workflow. */
export interface FaultRun {
  runId: string;
  config: RunConfigInput;
  handle: WorkflowHandle<typeof amtoTraining>;
}

export class FaultSuite {
  private constructor(
    private readonly options: FaultSuiteOptions,
    readonly deps: ActivityDeps,
    private connection: Connection,
    /** Replaced by `reconnect()`. */
    public client: Client,
    readonly fleet: WorkerFleet,
    /**
     * The undisturbed run of the suite's seed, still training when the suite starts: a scenario that
     * leaves the suite's servers and fleet alone runs beside it (`startRun(…, { besideReference })`),
     * every other one starts once it has finished.
     */
    readonly reference: Promise<FinishedRun>,
  ) {}

  static async start(options: FaultSuiteOptions): Promise<FaultSuite> {
    const { environment, label } = options;
    const deps = createActivityDeps(environment);
    const connection = await Connection.connect({ address: environment.temporal.address });
    const client = new Client({ connection, namespace: environment.temporal.namespace });
    const fleet = await startWorkerFleet(
      `amto-${label}-${randomUUID().slice(0, 8)}`,
      workerStartTimeoutMs,
      options.hostOf,
    ).catch(async (error: unknown) => {
      await connection.close();
      throw error;
    });
    const config = faultConfig(
      `${label}-ref-${randomUUID().slice(0, 8)}`,
      fleet.queues,
      options.referenceRounds,
    );
    const reference = referenceRun(client, deps, fleet.control, config).catch((error: unknown) => {
      throw new Error(`the undisturbed reference run failed: ${String(error)}\n${fleet.output()}`);
    });
    // Awaited by every scenario; this keeps a failure before the first await from crashing the suite.
    reference.catch(() => undefined);
    return new FaultSuite(options, deps, connection, client, fleet, reference);
  }

  /** A new connection and client (after the Temporal server was restarted). */
  async reconnect(): Promise<void> {
    const { temporal } = this.options.environment;
    await this.connection.close();
    this.connection = await Connection.connect({ address: temporal.address });
    this.client = new Client({ connection: this.connection, namespace: temporal.namespace });
  }

  /**
   * Starts the suite's fault config on a fleet (the suite's own by default), once the reference run has
   * finished unless the scenario disturbs neither the suite's servers nor its fleet (`besideReference`).
   */
  async startRun(
    label: string,
    options: {
      on?: WorkerFleet;
      rounds?: number;
      workflowIdFor?: (runId: string) => string;
      besideReference?: boolean;
    } = {},
  ): Promise<FaultRun> {
    if (options.besideReference !== true) await this.reference;
    const on = options.on ?? this.fleet;
    const runId = `${this.options.label}-${label}-${randomUUID().slice(0, 8)}`;
    const config = faultConfig(runId, on.queues, options.rounds);
    const handle = await this.client.workflow.start(amtoTraining, {
      taskQueue: on.control,
      workflowId: options.workflowIdFor?.(runId) ?? `amto-${runId}`,
      args: [config],
    });
    return { runId, config, handle };
  }

  /** The run's result; a failure carries the fleet's last output. */
  async resultOf(handle: WorkflowHandle<typeof amtoTraining>, on: WorkerFleet = this.fleet) {
    return handle.result().catch((error: unknown) => {
      throw new Error(`${String(error)}\n${on.output()}`);
    });
  }

  /** The finished run reproduces the reference, with nothing lost (see `assertNothingLost`). */
  async assertLostNothing(run: FaultRun, deps: ActivityDeps = this.deps): Promise<FinishedRun> {
    // A fresh handle: the client may have been replaced since the run started.
    const handle = this.client.workflow.getHandle(run.handle.workflowId);
    const finished = await finishedRun(deps, handle, run.runId, roundsOf(run.config));
    await assertNothingLost(deps, finished, await this.reference, run.config);
    return finished;
  }

  async stop(): Promise<void> {
    await this.fleet.stop();
    await this.connection.close();
  }
}
