/** The run report: an HTML page and chart PNGs about one AMTO training run (`amto report <runId>`). */
export { renderRunReport, RUN_REPORT_HTML_FILE } from './render-run-report';
export type { RunReportFiles } from './render-run-report';
export { RUN_REPORT_CHART_NAMES } from './run-report-charts';
export type { RunReportFinal, RunReportInput, RunReportRound, RunReportTaskRound } from './run-report-input';
export { RunReportInputError, validateRunReportInput } from './run-report-input';
