import type { TopLevelSpec } from 'vega-lite' with { 'resolution-mode': 'import' };
import { loadVega } from './load-vega.mjs';

/** Compiles a Vega-Lite spec and renders it headless (no canvas, no DOM) to an SVG document. */
export async function renderChartSvg(spec: TopLevelSpec): Promise<string> {
  const { vega, vegaLite } = await loadVega();
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
