import type { AmtoTrainingResult } from '../activities/contracts';
import type { RunProgress } from '../workflows/messages';

function fixed(value: number | null, digits = 4): string {
  return value === null ? '—' : value.toFixed(digits);
}

/** `1:05` / `1:02:03`; `—` while unknown. */
export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '—';
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** The multi-line live view shown on a terminal (redrawn in place). */
export function progressPanel(progress: RunProgress, etaMs: number | null): string[] {
  const header =
    `run ${progress.runId}  ${progress.phase}  round ${progress.round}/${progress.maxRounds}  ` +
    `iteration ${progress.iteration}/${progress.maxIterations}` +
    (progress.stopRequested ? '  (stop requested)' : '');
  const rows = progress.tasks.map(
    (task) =>
      `  ${String(task.task).padStart(4)}  ${fixed(task.valLoss).padStart(8)}  ${fixed(task.valAccuracy).padStart(7)}` +
      `  ${fixed(task.bestValLoss).padStart(9)}  ${String(task.stale).padStart(5)}`,
  );
  return [
    header,
    '  task  val loss  val acc  best loss  stale',
    ...rows,
    `  transfers accepted ${progress.transfersAccepted}/${progress.transfersTried}   ETA ${formatDuration(etaMs)}`,
    ...retryingLines(progress),
  ];
}

/** "retrying trainInterval (activity 7), attempt 7 since …: StoreUnavailable: MinIO unreachable at …". */
export function retryingLines(progress: Pick<RunProgress, 'retrying'>): string[] {
  // Older workflows (started before the field existed) answer without it.
  return (progress.retrying ?? []).map(
    (activity) =>
      `  retrying ${activity.activityType} (activity ${activity.activityId}), attempt ${activity.attempt} ` +
      `since ${activity.since}: ${activity.lastError ?? 'the previous attempt ended without a result (worker lost?)'}`,
  );
}

/** One plain line per completed round (logs, pipes, CI). */
export function roundLine(progress: RunProgress, etaMs: number | null): string {
  const losses = progress.tasks.map((task) => fixed(task.valLoss)).join(' ');
  const accuracies = progress.tasks.map((task) => fixed(task.valAccuracy)).join(' ');
  return (
    `round ${progress.round}/${progress.maxRounds}  iteration ${progress.iteration}/${progress.maxIterations}  ` +
    `val loss [${losses}]  val acc [${accuracies}]  transfers ${progress.transfersAccepted}/${progress.transfersTried} accepted  ` +
    `ETA ${formatDuration(etaMs)}`
  );
}

/** The run's final answer, for people. */
export function resultLines(result: AmtoTrainingResult, uiUrl: string): string[] {
  return [
    `Run ${result.runId} finished (${result.stopReason}): task ${result.chosenTask} chosen`,
    `  harmonic accuracy   ${result.harmonicAccuracy.toFixed(4)}`,
    `  test accuracy       ${result.testAccuracy === null ? '— (no test set)' : result.testAccuracy.toFixed(4)}`,
    `  rounds              ${result.rounds} (${result.iterations} iterations)`,
    `  transfers accepted  ${result.transfersAccepted}/${result.transfersTried}`,
    `  checkpoint          ${result.checkpoint}`,
    `  web UI              ${uiUrl}`,
  ];
}
