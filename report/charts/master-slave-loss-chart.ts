import type { RunReportInput } from '../run-report-input';
import { CHART_CONFIG, INTEGER_AXIS, chartTitle, pointArea } from './chart-style';
import type { ReportChart } from './report-chart';

export const MASTER_SLAVE_LOSS_CHART = 'master-vs-slave-loss';

const ROLES = ['master', 'slave'] as const;

export function masterSlaveLossChart(input: RunReportInput): ReportChart {
  const values = input.rounds.flatMap((round) =>
    round.tasks.flatMap((entry) => [
      { round: round.round, task: entry.task, role: 'master', loss: entry.masterValLoss },
      ...(entry.slaveValLoss === null
        ? []
        : [{ round: round.round, task: entry.task, role: 'slave', loss: entry.slaveValLoss }]),
    ]),
  );
  return {
    name: MASTER_SLAVE_LOSS_CHART,
    title: 'Master vs slave validation loss per round',
    caption:
      'One panel per task. Each round the master continues from the task’s own weights and the slave starts ' +
      'from a donor’s; both are validated on the task’s validation split. Where the slave’s mark is below the ' +
      'master’s, the slave won and replaced the master. Rounds without a slave show the master only.',
    spec: {
      title: chartTitle('Master vs slave validation loss per round', input),
      config: CHART_CONFIG,
      data: { values },
      columns: Math.min(input.tasks, 3),
      facet: {
        field: 'task',
        type: 'ordinal',
        title: null,
        header: { labelExpr: "'task ' + datum.value", labelFontWeight: 'bold' },
      },
      spec: {
        width: 230,
        height: 160,
        encoding: {
          x: { field: 'round', type: 'quantitative', title: 'round', axis: INTEGER_AXIS },
          y: { field: 'loss', type: 'quantitative', title: 'validation loss', scale: { zero: false } },
          color: { field: 'role', type: 'nominal', title: null, scale: { domain: [...ROLES] } },
          shape: { field: 'role', type: 'nominal', title: null, scale: { domain: [...ROLES] } },
        },
        layer: [
          { mark: { type: 'line', strokeWidth: 1.5, opacity: 0.7 } },
          { mark: { type: 'point', filled: true, size: pointArea(input.rounds.length, 45), opacity: 1 } },
        ],
      },
    },
  };
}
