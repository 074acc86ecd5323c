import type { ReportChart } from './charts/report-chart';
import { countTransfers } from './count-transfers';
import { escapeHtml } from './escape-html';
import type { RunReportFinal, RunReportInput } from './run-report-input';

export interface RenderedChart {
  chart: ReportChart;
  /** The chart as an SVG document, placed in the page as is (vega escapes the text it draws). */
  svg: string;
}

const STYLE = `
  body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 2rem auto; max-width: 1200px;
    padding: 0 1rem; color: #222; line-height: 1.45; }
  h1 { font-size: 1.6rem; margin-bottom: 0.5rem; }
  h1 code { font-size: 1.4rem; }
  h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; }
  table { border-collapse: collapse; }
  th, td { text-align: left; padding: 0.2rem 1.2rem 0.2rem 0; vertical-align: top; }
  th { font-weight: 600; color: #555; }
  figure { margin: 2rem 0; }
  figure h3 { margin: 0 0 0.3rem; font-size: 1.05rem; }
  figcaption p { margin: 0 0 0.8rem; max-width: 70rem; color: #444; }
  figure svg { max-width: 100%; height: auto; }
`;

function formatAccuracy(accuracy: number): string {
  return accuracy.toFixed(4);
}

function tableRows(rows: Array<[string, string]>): string {
  return rows
    .map(([name, value]) => `<tr><th>${escapeHtml(name)}</th><td>${escapeHtml(value)}</td></tr>`)
    .join('\n');
}

function runFacts(input: RunReportInput): string {
  const lastRound = input.rounds[input.rounds.length - 1];
  return `<table>\n${tableRows([
    ['architecture', input.arch],
    ['dataset', input.dataset],
    ['tasks (M)', String(input.tasks)],
    ['interval (c iterations per round)', String(input.interval)],
    ['rounds finished', String(input.rounds.length)],
    ['last iteration', String(lastRound?.iteration ?? 0)],
  ])}\n</table>`;
}

function finalResult(final: RunReportFinal | null): string {
  if (!final) {
    return '<p>No final model yet: the run is still training, or it ended before selecting one.</p>';
  }
  return `<table>\n${tableRows([
    ['chosen task', String(final.chosenTask)],
    ['harmonic accuracy', formatAccuracy(final.harmonicAccuracy)],
    ['test accuracy', final.testAccuracy === null ? '— (no test set)' : formatAccuracy(final.testAccuracy)],
    ['stop reason', final.stopReason],
  ])}\n</table>`;
}

function transferSummary(input: RunReportInput): string {
  const { tried, accepted } = countTransfers(input);
  const share = tried > 0 ? ` (${((100 * accepted) / tried).toFixed(1)}% of those tried)` : '';
  const singleTask =
    input.tasks === 1 ? '<p>A single-task run (STO) has no donors, so it has no transfer charts.</p>\n' : '';
  return `<p>Transfers tried: <strong>${tried}</strong>; accepted: <strong>${accepted}</strong>${share}.</p>\n${singleTask}`;
}

function figure({ chart, svg }: RenderedChart): string {
  return [
    `<figure id="${escapeHtml(chart.name)}">`,
    `<figcaption><h3>${escapeHtml(chart.title)}</h3><p>${escapeHtml(chart.caption)}</p></figcaption>`,
    svg,
    '</figure>',
  ].join('\n');
}

/** The whole report as one self-contained page: no scripts, styles or images outside it. */
export function runReportHtml(input: RunReportInput, charts: readonly RenderedChart[]): string {
  const runId = escapeHtml(input.runId);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>AMTO run ${runId}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>AMTO run <code>${runId}</code></h1>
${runFacts(input)}
</header>
<section>
<h2>Result</h2>
${finalResult(input.final)}
</section>
<section>
<h2>Knowledge transfer</h2>
${transferSummary(input)}</section>
<section>
<h2>Charts</h2>
${charts.map(figure).join('\n')}
</section>
</body>
</html>
`;
}
