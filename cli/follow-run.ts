import type { Client, WorkflowHandle } from '@temporalio/client';
import type { AmtoTrainingResult } from '../activities/contracts';
import type { amtoTraining } from '../workflows/amto-training';
import { failureMessage } from './failure-message';
import { progressQuery, type RunProgress } from '../workflows/messages';
import { progressPanel, retryingLines, roundLine } from './progress-format';

export type FollowOutcome =
  | { kind: 'finished'; result: AmtoTrainingResult }
  | { kind: 'failed'; status: string; message: string }
  | { kind: 'detached' };

export interface FollowOptions {
  /** 'panel': redraw a live view in place (a TTY); 'lines': one line per round; 'quiet': nothing. */
  display: 'panel' | 'lines' | 'quiet';
  pollMs?: number;
  /** Stops following as if detached (e.g. the demo's workers died). */
  abort?: AbortSignal;
}

const queryDeadlineMs = 5000;

/** The run's progress, or null while no worker answers (the run is queued, or its workers are down). */
export async function queryProgress(
  client: Client,
  handle: WorkflowHandle<typeof amtoTraining>,
): Promise<RunProgress | null> {
  try {
    return await client.withDeadline(Date.now() + queryDeadlineMs, () => handle.query(progressQuery));
  } catch {
    return null;
  }
}

/** Mean round time from the first round boundary seen (or the run's start) to the last one. */
class RoundClock {
  private anchor: { round: number; at: number } | null = null;
  private last: { round: number; at: number } | null = null;

  constructor(private readonly startedAt: number) {}

  observe(round: number, now: number): void {
    if (this.last === null) {
      // Attached mid-round: the run's start is a round boundary only when no round has finished.
      this.anchor = round === 0 ? { round: 0, at: this.startedAt } : null;
      this.last = { round, at: now };
      this.anchor ??= this.last;
      return;
    }
    if (round > this.last.round) this.last = { round, at: now };
  }

  etaMs(progress: RunProgress): number | null {
    if (this.anchor === null || this.last === null || this.last.round <= this.anchor.round) return null;
    const mean = (this.last.at - this.anchor.at) / (this.last.round - this.anchor.round);
    return mean * Math.max(0, progress.maxRounds - progress.round);
  }
}

/**
 * Follows a run until it closes, showing its progress; Ctrl-C detaches (the run goes on). Follows
 * continue-as-new, since the handle names the workflow id without a run id.
 */
export async function followRun(
  client: Client,
  workflowId: string,
  options: FollowOptions,
): Promise<FollowOutcome> {
  const handle = client.workflow.getHandle<typeof amtoTraining>(workflowId);
  const pollMs = options.pollMs ?? 2000;
  let detached = false;
  let wake: () => void = () => undefined;
  const onSigint = (): void => {
    detached = true;
    wake();
  };
  process.on('SIGINT', onSigint);
  options.abort?.addEventListener('abort', onSigint);
  let drawnLines = 0;
  let lastRoundShown = 0;
  let lastRetryingShown = '';
  let clock: RoundClock | null = null;
  try {
    for (;;) {
      const description = await handle.describe();
      if (detached) return { kind: 'detached' };
      if (description.status.name !== 'RUNNING') break;
      clock ??= new RoundClock(description.startTime.getTime());
      const progress = options.display === 'quiet' ? null : await queryProgress(client, handle);
      if (progress !== null) {
        clock.observe(progress.round, Date.now());
        const eta = clock.etaMs(progress);
        if (options.display === 'panel') {
          const lines = progressPanel(progress, eta);
          process.stdout.write(`${drawnLines > 0 ? `\x1b[${drawnLines}A\r\x1b[J` : ''}${lines.join('\n')}\n`);
          drawnLines = lines.length;
        } else {
          if (progress.round > lastRoundShown) {
            console.log(roundLine(progress, eta));
            lastRoundShown = progress.round;
          }
          // A retry (new attempt or new error) gets one line; the same state again prints nothing.
          const retrying = retryingLines(progress);
          const shown = retrying.map((line) => line.replace(/ since \S+/, '')).join('\n');
          if (shown !== lastRetryingShown && retrying.length > 0) console.log(retrying.join('\n'));
          lastRetryingShown = shown;
        }
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (detached) return { kind: 'detached' };
    }
  } finally {
    process.off('SIGINT', onSigint);
    options.abort?.removeEventListener('abort', onSigint);
  }
  try {
    return { kind: 'finished', result: await handle.result() };
  } catch (error) {
    const status = (await handle.describe()).status.name;
    return { kind: 'failed', status, message: failureMessage(error) };
  }
}
