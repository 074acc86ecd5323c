import type { RunReportInput, RunReportRound } from '../run-report-input';
import { CHART_CONFIG, chartTitle } from './chart-style';
import type { ReportChart } from './report-chart';

export const RELATIONSHIP_HEATMAP_CHART = 'relationship-matrix';

/** Above this many tasks the cells are too small to print their values in. */
const MAX_TASKS_WITH_CELL_VALUES = 10;

/** The first, middle and last rounds (fewer when the run is shorter): how RL evolved, at a glance. */
export function heatmapRounds(rounds: readonly RunReportRound[]): RunReportRound[] {
  const picks = new Set([0, Math.floor((rounds.length - 1) / 2), rounds.length - 1]);
  return [...picks].sort((a, b) => a - b).flatMap((index) => rounds[index] ?? []);
}

export function relationshipHeatmapChart(input: RunReportInput): ReportChart {
  const values = heatmapRounds(input.rounds).flatMap((round) =>
    round.tasks.flatMap((entry) =>
      entry.relationship.flatMap((r, j) =>
        // r_m toward itself is never used (a task is never its own donor), so that cell stays empty.
        j === entry.task ? [] : [{ round: round.round, task: entry.task, toward: j, r }],
      ),
    ),
  );
  const largest = Math.max(...values.map((value) => Math.abs(value.r)));
  // Symmetric around 0 so white means "no evidence either way"; all-zero lists still get a scale.
  const extent = largest > 0 ? largest : 1;
  const cellValues = input.tasks <= MAX_TASKS_WITH_CELL_VALUES;
  return {
    name: RELATIONSHIP_HEATMAP_CHART,
    title: 'Relationship lists over time',
    caption:
      'The relationship matrix after the first, middle and last round. Row m is task m’s list RL_m; the ' +
      'cell in column j is r_j, the sum over the rounds where task j was m’s donor of tanh(master loss − ' +
      'slave loss) (eq. 6). Blue: j’s weights tended to beat m’s own, so m picks j as donor more often ' +
      '(softmax over the row); red: they tended to lose. The diagonal is empty: a task is never its own donor.',
    spec: {
      title: chartTitle('Relationship lists RL_m over time', input),
      config: CHART_CONFIG,
      data: { values },
      facet: {
        column: {
          field: 'round',
          type: 'ordinal',
          title: null,
          header: { labelExpr: "'after round ' + datum.value", labelFontWeight: 'bold' },
        },
      },
      spec: {
        width: { step: cellValues ? 44 : 18 },
        height: { step: cellValues ? 32 : 18 },
        encoding: {
          x: { field: 'toward', type: 'ordinal', title: 'r_j: toward task j', axis: { labelAngle: 0 } },
          y: { field: 'task', type: 'ordinal', title: 'task m' },
        },
        layer: [
          {
            mark: { type: 'rect', stroke: 'white', strokeWidth: 1 },
            encoding: {
              color: {
                field: 'r',
                type: 'quantitative',
                title: 'r_j',
                scale: { scheme: 'redblue', domain: [-extent, extent] },
              },
            },
          },
          ...(cellValues
            ? [
                {
                  mark: { type: 'text' as const, fontSize: 10 },
                  encoding: {
                    text: { field: 'r', type: 'quantitative' as const, format: '.2f' },
                    color: {
                      condition: { test: `abs(datum.r) > ${0.6 * extent}`, value: 'white' },
                      value: 'black',
                    },
                  },
                },
              ]
            : []),
        ],
      },
    },
  };
}
