/** A deterministic, plausible AMTO run for the report tests: losses fall, some transfers win. */
import type { RunReportInput, RunReportRound } from '../../../report/run-report-input';

export interface SyntheticRunOptions {
  runId?: string;
  tasks?: number;
  rounds?: number;
  withFinal?: boolean;
}

export function syntheticRun({
  runId = 'run-2024-demo',
  tasks = 3,
  rounds = 5,
  withFinal = true,
}: SyntheticRunOptions = {}): RunReportInput {
  const interval = 200;
  const relationship = Array.from({ length: tasks }, () => Array.from({ length: tasks }, () => 0));
  const roundList: RunReportRound[] = Array.from({ length: rounds }, (_, index) => {
    const round = index + 1;
    return {
      round,
      iteration: round * interval,
      tasks: Array.from({ length: tasks }, (_, task) => {
        const masterValLoss = 1.6 / (1 + 0.45 * round) + 0.04 * task + 0.03 * ((round * (task + 2)) % 3);
        const donor =
          tasks === 1 ? null : (task + round) % tasks === task ? (task + 1) % tasks : (task + round) % tasks;
        // Every other transfer wins, by a margin that varies with round and task.
        const slaveValLoss =
          donor === null ? null : masterValLoss + ((round + task) % 2 === 0 ? -0.07 : 0.05);
        const accepted = slaveValLoss !== null && slaveValLoss < masterValLoss;
        const row = relationship[task] ?? [];
        if (donor !== null && slaveValLoss !== null)
          row[donor] = (row[donor] ?? 0) + Math.tanh(masterValLoss - slaveValLoss);
        return {
          task,
          donor,
          accepted,
          masterValLoss,
          slaveValLoss,
          masterValAccuracy: Math.min(0.99, 0.5 + 0.08 * round - 0.01 * task),
          slaveValAccuracy: slaveValLoss === null ? null : Math.min(0.99, 0.52 + 0.08 * round - 0.01 * task),
          relationship: [...row],
        };
      }),
    };
  });
  const validationAccuracies = Array.from({ length: tasks }, (_, split) => 0.86 - 0.03 * split);
  return {
    runId,
    arch: 'small-cnn',
    dataset: 'fashion-mnist',
    tasks,
    interval,
    rounds: roundList,
    final: withFinal
      ? {
          chosenTask: 1 % tasks,
          harmonicAccuracy: tasks / validationAccuracies.reduce((sum, accuracy) => sum + 1 / accuracy, 0),
          validationAccuracies,
          testAccuracy: 0.842,
          stopReason: 'budget',
        }
      : null,
  };
}
