import type { RunReportFinal, RunReportInput } from '../run-report-input';
import { CHART_CONFIG, chartTitle } from './chart-style';
import type { ReportChart } from './report-chart';

export const FINAL_ACCURACY_CHART = 'final-accuracy';

const OWN_SPLIT = 'its own task’s split';
const OTHER_SPLIT = 'other tasks’ splits';

export function finalAccuracyChart(input: RunReportInput, final: RunReportFinal): ReportChart {
  const values = final.validationAccuracies.map((accuracy, split) => ({
    split,
    accuracy,
    kind: split === final.chosenTask ? OWN_SPLIT : OTHER_SPLIT,
  }));
  const harmonic = [
    { harmonic: final.harmonicAccuracy, label: `harmonic ${final.harmonicAccuracy.toFixed(3)}` },
  ];
  return {
    name: FINAL_ACCURACY_CHART,
    title: 'Final model: accuracy per validation split',
    caption:
      `The chosen model (task ${final.chosenTask}’s best checkpoint) evaluated on every task’s validation ` +
      'split. The dashed line is its harmonic accuracy M / Σ 1/A_m (eq. 7), the score the final selection ' +
      'maximises; a split far below the line is one the model generalises to poorly.',
    spec: {
      title: chartTitle(`Final model (task ${final.chosenTask}): accuracy per validation split`, input),
      config: CHART_CONFIG,
      width: Math.max(320, final.validationAccuracies.length * 64),
      height: 260,
      layer: [
        {
          data: { values },
          encoding: {
            x: {
              field: 'split',
              type: 'ordinal',
              title: 'validation split of task',
              axis: { labelAngle: 0 },
            },
          },
          layer: [
            {
              mark: { type: 'bar', width: { band: 0.7 } },
              encoding: {
                y: { field: 'accuracy', type: 'quantitative', title: 'accuracy', scale: { domain: [0, 1] } },
                color: {
                  field: 'kind',
                  type: 'nominal',
                  title: 'the chosen model on',
                  scale: { domain: [OWN_SPLIT, OTHER_SPLIT], range: ['#f58518', '#4c78a8'] },
                  legend: { orient: 'bottom', direction: 'vertical', labelLimit: 400, titleLimit: 400 },
                },
              },
            },
            {
              // At the bar's foot, where neither the harmonic line nor its label can cover it.
              mark: { type: 'text', y: 'height', baseline: 'bottom', dy: -6, fontSize: 10 },
              encoding: {
                text: { field: 'accuracy', type: 'quantitative', format: '.3f' },
                // Dark on a bar too short to hold the label.
                color: { condition: { test: 'datum.accuracy < 0.06', value: '#222222' }, value: 'white' },
              },
            },
          ],
        },
        {
          data: { values: harmonic },
          encoding: { y: { field: 'harmonic', type: 'quantitative' } },
          layer: [
            { mark: { type: 'rule', strokeDash: [6, 4], strokeWidth: 2, color: '#222222' } },
            {
              mark: { type: 'text', align: 'left', dx: 6, x: 'width', fontSize: 11, fontWeight: 'bold' },
              encoding: { text: { field: 'label' } },
            },
          ],
        },
      ],
    },
  };
}
