import type { Config } from 'vega-lite' with { 'resolution-mode': 'import' };
import type { RunReportInput } from '../run-report-input';

/** Shared look of every chart; a white background so the PNGs read the same on any viewer. */
export const CHART_CONFIG: Config = {
  background: 'white',
  padding: 12,
  title: { anchor: 'start', fontSize: 15, subtitleFontSize: 11, subtitleColor: '#555555', offset: 12 },
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  header: { labelFontSize: 12, titleFontSize: 12 },
};

/** The chart title, with the run in the subtitle so a PNG on its own still says what it shows. */
export function chartTitle(text: string, input: RunReportInput): { text: string; subtitle: string } {
  return { text, subtitle: `run ${input.runId} · ${input.arch} on ${input.dataset}` };
}

/** Axis settings for a whole-number axis (rounds, task indices). */
export const INTEGER_AXIS = { tickMinStep: 1, format: 'd' } as const;

/** Point area (px²) that shrinks as rounds crowd the x axis: `largest` up to 12 rounds, never below 10. */
export function pointArea(rounds: number, largest: number): number {
  return Math.max(10, Math.min(largest, Math.round((largest * 12) / rounds)));
}
