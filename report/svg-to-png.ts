import { Resvg } from '@resvg/resvg-js';

/** Twice the SVG's size, so the PNGs stay sharp on high-density screens and in slides. */
const PNG_SCALE = 2;

/**
 * Rasterises an SVG. resvg draws text only with fonts it can find, so it loads the system's; the
 * charts ask for the generic sans-serif family, which resvg maps to an installed sans-serif font.
 */
export function svgToPng(svg: string): Buffer {
  const resvg = new Resvg(svg, {
    font: { loadSystemFonts: true },
    fitTo: { mode: 'zoom', value: PNG_SCALE },
  });
  return resvg.render().asPng();
}
