import type { RunStateDocument } from '../activities/contracts';
import type { RunReportInput, RunReportRound } from '../report';

/**
 * Maps the per-round run-state documents (rounds 1..latest, in order) to the report's input. The run
 * state records only the kept model's accuracy, so the other copy's accuracy is null. A round where a
 * master's validation loss was not finite (null in the decision log) cannot be charted and is left
 * out; the skipped round numbers are returned so the caller can say so.
 */
export function runReportFromDocuments(documents: RunStateDocument[]): {
  input: RunReportInput;
  skippedRounds: number[];
} {
  const latest = documents[documents.length - 1];
  if (latest === undefined) throw new Error('a run report needs at least one round document');
  const rounds: RunReportRound[] = [];
  const skippedRounds: number[] = [];
  for (const document of documents) {
    const record = document.state.history[document.state.history.length - 1];
    const round = document.state.round;
    if (record === undefined || record.decisions.some((decision) => decision.masterValLoss === null)) {
      skippedRounds.push(round);
      continue;
    }
    rounds.push({
      round,
      iteration: record.iteration,
      tasks: record.decisions.map((decision) => {
        const task = document.state.tasks[decision.task];
        const keptAccuracy = task?.lastValAccuracy ?? null;
        return {
          task: decision.task,
          donor: decision.donor,
          accepted: decision.accepted,
          masterValLoss: decision.masterValLoss as number,
          slaveValLoss: decision.slaveValLoss,
          masterValAccuracy: decision.accepted ? null : keptAccuracy,
          slaveValAccuracy: decision.accepted ? keptAccuracy : null,
          relationship: task?.relationship ?? [],
        };
      }),
    });
  }
  const { config, prepared, result } = latest;
  return {
    input: {
      runId: latest.runId,
      arch: config.model.arch,
      dataset: prepared.datasetName,
      tasks: config.tasks,
      interval: config.interval,
      rounds,
      final:
        result === null
          ? null
          : {
              chosenTask: result.chosenTask,
              harmonicAccuracy: result.harmonicAccuracy,
              validationAccuracies: result.validationAccuracies,
              testAccuracy: result.testAccuracy,
              stopReason: result.stopReason,
            },
    },
    skippedRounds,
  };
}
