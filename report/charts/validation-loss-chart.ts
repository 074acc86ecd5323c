import type { RunReportInput, RunReportTaskRound } from '../run-report-input';
import { CHART_CONFIG, chartTitle, pointArea } from './chart-style';
import type { ReportChart } from './report-chart';

export const VALIDATION_LOSS_CHART = 'validation-loss';

/** The validation loss of the model the task keeps after the round's transfer decision. */
function keptValLoss(entry: RunReportTaskRound): number {
  return entry.accepted && entry.slaveValLoss !== null
    ? Math.min(entry.masterValLoss, entry.slaveValLoss)
    : entry.masterValLoss;
}

export function validationLossChart(input: RunReportInput): ReportChart {
  const values = input.rounds.flatMap((round) =>
    round.tasks.map((entry) => ({
      iteration: round.iteration,
      task: entry.task,
      loss: keptValLoss(entry),
      accepted: entry.accepted,
    })),
  );
  const pointSize = pointArea(input.rounds.length, 60);
  return {
    name: VALIDATION_LOSS_CHART,
    title: 'Validation loss per task',
    caption:
      'One line per task: the validation loss of the model the task kept at the end of each round ' +
      '(the slave’s when it won the transfer decision, else the master’s), against the global iteration. ' +
      'A filled dot marks a round where the task took the slave, i.e. accepted another task’s weights; a hollow ' +
      'one, a round where it kept its own.',
    spec: {
      title: chartTitle('Validation loss per task', input),
      config: CHART_CONFIG,
      width: 560,
      height: 300,
      data: { values },
      encoding: {
        x: { field: 'iteration', type: 'quantitative', title: 'iteration' },
        y: {
          field: 'loss',
          type: 'quantitative',
          title: 'validation loss (kept model)',
          scale: { zero: false },
        },
        color: { field: 'task', type: 'nominal', title: 'task' },
      },
      layer: [
        // Hollow dots at every round end, so even a one-round run shows its losses.
        { mark: { type: 'line', strokeWidth: 2, point: { filled: false, fill: 'white', size: pointSize } } },
        {
          transform: [{ filter: 'datum.accepted' }],
          mark: { type: 'point', filled: true, size: pointSize, opacity: 1 },
        },
      ],
    },
  };
}
