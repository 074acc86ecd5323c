import { FINAL_ACCURACY_CHART, finalAccuracyChart } from './charts/final-accuracy-chart';
import { MASTER_SLAVE_LOSS_CHART, masterSlaveLossChart } from './charts/master-slave-loss-chart';
import { RELATIONSHIP_HEATMAP_CHART, relationshipHeatmapChart } from './charts/relationship-heatmap-chart';
import type { ReportChart } from './charts/report-chart';
import { TRANSFER_LINEAGE_CHART, transferLineageChart } from './charts/transfer-lineage-chart';
import { VALIDATION_LOSS_CHART, validationLossChart } from './charts/validation-loss-chart';
import type { RunReportInput } from './run-report-input';

/** Every chart the report can contain, in page order. */
export const RUN_REPORT_CHART_NAMES = [
  VALIDATION_LOSS_CHART,
  MASTER_SLAVE_LOSS_CHART,
  RELATIONSHIP_HEATMAP_CHART,
  TRANSFER_LINEAGE_CHART,
  FINAL_ACCURACY_CHART,
] as const;

/**
 * The charts this run has data for: a single-task run (STO) never transfers, so it gets no transfer
 * charts, and a run without a final selection gets no final chart.
 */
export function runReportCharts(input: RunReportInput): ReportChart[] {
  const transfers = input.tasks > 1;
  return [
    validationLossChart(input),
    ...(transfers
      ? [masterSlaveLossChart(input), relationshipHeatmapChart(input), transferLineageChart(input)]
      : []),
    ...(input.final ? [finalAccuracyChart(input, input.final)] : []),
  ];
}
