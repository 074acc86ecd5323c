import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { renderChartSvg } from './render-chart-svg';
import { RUN_REPORT_CHART_NAMES, runReportCharts } from './run-report-charts';
import { runReportHtml, type RenderedChart } from './run-report-html';
import { svgToPng } from './svg-to-png';
import { validateRunReportInput, type RunReportInput } from './run-report-input';
import { writeFileAtomically } from './write-file-atomically';

export const RUN_REPORT_HTML_FILE = 'report.html';

export interface RunReportFiles {
  /** Absolute path of the HTML page. */
  html: string;
  /** Absolute paths of the chart PNGs, in page order. */
  pngs: string[];
}

/**
 * Writes `<outDir>/report.html` (self-contained: the charts are inline SVG) and one
 * `<outDir>/<chart>.png` per chart. Every file is replaced atomically and the page is written last,
 * so an interrupted run never leaves a page that looks complete beside missing or half-written charts.
 * Throws a `RunReportInputError` naming every bad field before writing anything.
 */
export async function renderRunReport(unchecked: RunReportInput, outDir: string): Promise<RunReportFiles> {
  // Built from stored JSON: the types alone prove nothing.
  const input = validateRunReportInput(unchecked);
  const rendered: RenderedChart[] = [];
  for (const chart of runReportCharts(input)) rendered.push({ chart, svg: await renderChartSvg(chart.spec) });

  const directory = resolve(outDir);
  await mkdir(directory, { recursive: true });
  const pngs: string[] = [];
  for (const { chart, svg } of rendered) {
    const path = join(directory, `${chart.name}.png`);
    await writeFileAtomically(path, svgToPng(svg));
    pngs.push(path);
  }
  // A chart this run has no data for must not survive from an earlier report in the same directory.
  const drawn = new Set(rendered.map(({ chart }) => chart.name));
  for (const name of RUN_REPORT_CHART_NAMES.filter((name) => !drawn.has(name))) {
    await rm(join(directory, `${name}.png`), { force: true });
  }
  const html = join(directory, RUN_REPORT_HTML_FILE);
  await writeFileAtomically(html, runReportHtml(input, rendered));
  return { html, pngs };
}
