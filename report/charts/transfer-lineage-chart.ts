import type { RunReportInput } from '../run-report-input';
import { CHART_CONFIG, INTEGER_AXIS, chartTitle } from './chart-style';
import type { ReportChart } from './report-chart';

export const TRANSFER_LINEAGE_CHART = 'transfer-lineage';

// Listed in drawing order, so accepted transfers lie on top of the rest.
const EDGE_KINDS = ['transfer declined', 'kept own weights', 'transfer accepted'] as const;
type EdgeKind = (typeof EDGE_KINDS)[number];
const EDGE_COLOURS: Record<EdgeKind, string> = {
  'transfer declined': '#b9b9b9',
  'kept own weights': '#4c78a8',
  'transfer accepted': '#e45756',
};
const EDGE_DASHES: Record<EdgeKind, number[]> = {
  'transfer declined': [4, 3],
  'kept own weights': [1, 0],
  'transfer accepted': [1, 0],
};

interface Edge {
  from: number;
  to: number;
  source: number;
  task: number;
  kind: EdgeKind;
}

/**
 * Every edge ends at (round, task) and starts at the end of the previous round: where the weights the
 * task holds after the round came from, plus the donors whose weights it tried and declined.
 */
function lineageEdges(input: RunReportInput): Edge[] {
  const edges = input.rounds.flatMap((round) =>
    round.tasks.flatMap((entry): Edge[] => {
      const from = round.round - 1;
      const to = round.round;
      if (entry.donor === null)
        return [{ from, to, source: entry.task, task: entry.task, kind: 'kept own weights' }];
      if (entry.accepted)
        return [{ from, to, source: entry.donor, task: entry.task, kind: 'transfer accepted' }];
      return [
        { from, to, source: entry.donor, task: entry.task, kind: 'transfer declined' },
        { from, to, source: entry.task, task: entry.task, kind: 'kept own weights' },
      ];
    }),
  );
  return edges.sort((a, b) => EDGE_KINDS.indexOf(a.kind) - EDGE_KINDS.indexOf(b.kind));
}

export function transferLineageChart(input: RunReportInput): ReportChart {
  const edges = lineageEdges(input);
  const firstRound = input.rounds[0]?.round ?? 1;
  const lastRound = input.rounds[input.rounds.length - 1]?.round ?? firstRound;
  const taskIndices = Array.from({ length: input.tasks }, (_, task) => task);
  const nodes = [firstRound - 1, ...input.rounds.map((round) => round.round)].flatMap((round) =>
    taskIndices.map((task) => ({ round, task })),
  );
  const x = (field: string) => ({
    field,
    type: 'quantitative' as const,
    title: 'end of round (0 = initial weights)',
    scale: { domain: [firstRound - 1, lastRound], nice: false },
    axis: INTEGER_AXIS,
  });
  const y = (field: string) => ({
    field,
    type: 'quantitative' as const,
    title: 'task',
    scale: { domain: [-0.5, input.tasks - 0.5], reverse: true, nice: false, zero: false },
    axis: { values: taskIndices, format: 'd', grid: false },
  });
  return {
    name: TRANSFER_LINEAGE_CHART,
    title: 'Transfer lineage',
    caption:
      'Where each task’s weights came from, round by round (time runs left to right; dots are the tasks’ ' +
      'models at the end of each round). A red arrow from task j into task m means m’s slave started ' +
      'from j’s weights and won, so m continued with them; a blue line means the task kept training its ' +
      'own weights; a dashed grey line is a transfer that was tried and declined.',
    spec: {
      title: chartTitle('Transfer lineage: whose weights flowed where', input),
      config: CHART_CONFIG,
      width: Math.min(1100, Math.max(440, (lastRound - firstRound + 2) * 44)),
      height: Math.max(150, input.tasks * 46),
      layer: [
        {
          data: { values: edges },
          mark: { type: 'rule', strokeWidth: 2 },
          encoding: {
            x: x('from'),
            x2: { field: 'to' },
            y: y('source'),
            y2: { field: 'task' },
            color: {
              field: 'kind',
              type: 'nominal',
              title: null,
              scale: { domain: [...EDGE_KINDS], range: EDGE_KINDS.map((kind) => EDGE_COLOURS[kind]) },
              legend: { orient: 'bottom', direction: 'horizontal' },
            },
            strokeDash: {
              field: 'kind',
              type: 'nominal',
              title: null,
              scale: { domain: [...EDGE_KINDS], range: EDGE_KINDS.map((kind) => EDGE_DASHES[kind]) },
              legend: { orient: 'bottom', direction: 'horizontal' },
            },
          },
        },
        {
          data: { values: nodes },
          mark: { type: 'circle', size: 36, color: '#333333', opacity: 1 },
          encoding: { x: x('round'), y: y('task') },
        },
        {
          // Arrowheads: the receiving end of each accepted transfer.
          data: { values: edges.filter((edge) => edge.kind === 'transfer accepted') },
          mark: {
            type: 'point',
            shape: 'triangle-right',
            filled: true,
            size: 110,
            opacity: 1,
            color: EDGE_COLOURS['transfer accepted'],
          },
          encoding: { x: x('to'), y: y('task') },
        },
      ],
    },
  };
}
