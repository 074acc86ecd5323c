import type { StartedRun } from './start-run';
import type { FollowOutcome } from './follow-run';
import { resultLines } from './progress-format';

/** Prints how a followed run ended; returns the exit code (0 finished or detached, 1 failed). */
export function presentOutcome(run: StartedRun, outcome: FollowOutcome, json: boolean): number {
  if (json) {
    console.log(JSON.stringify({ ...run, ...outcome }));
  } else if (outcome.kind === 'finished') {
    console.log(resultLines(outcome.result, run.uiUrl).join('\n'));
  } else if (outcome.kind === 'detached') {
    console.log(
      `\nDetached; run ${run.runId} goes on. Reattach with: amto status ${run.runId} --follow\n` +
        `  web UI  ${run.uiUrl}`,
    );
  } else {
    console.error(
      `Run ${run.runId} ended ${outcome.status.toLowerCase()}: ${outcome.message}\n  web UI  ${run.uiUrl}\n` +
        `If its saved state is intact, continue it with: amto resume ${run.runId}`,
    );
  }
  return outcome.kind === 'failed' ? 1 : 0;
}
