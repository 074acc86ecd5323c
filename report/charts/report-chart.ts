import type { TopLevelSpec } from 'vega-lite' with { 'resolution-mode': 'import' };

/** One chart of the run report: its Vega-Lite spec plus the words the HTML page shows around it. */
export interface ReportChart {
  /** kebab-case; the PNG is written as `<outDir>/<name>.png`. */
  name: string;
  title: string;
  /** How to read the chart, shown under its title. */
  caption: string;
  spec: TopLevelSpec;
}
