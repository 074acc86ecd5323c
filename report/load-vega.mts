/**
 * Loads vega and vega-lite, which are ESM-only and (through vega-canvas) use top-level await, so a
 * CommonJS `require` cannot load them. This file is an ES module (.mts), so tsc keeps its `import()`
 * calls instead of rewriting them into `require` as it does in the project's CommonJS files.
 */
import type * as Vega from 'vega';
import type * as VegaLite from 'vega-lite' with { 'resolution-mode': 'import' };

export interface VegaModules {
  vega: typeof Vega;
  vegaLite: typeof VegaLite;
}

// vega-lite publishes its types only through package.json "exports", which the project's node10 module
// resolution does not read, so its runtime import goes through an untyped specifier and the type above.
const VEGA_LITE: string = 'vega-lite';

/** The vega and vega-lite modules (Node caches them after the first call). */
export async function loadVega(): Promise<VegaModules> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import(VEGA_LITE) as Promise<typeof VegaLite>]);
  return { vega, vegaLite };
}
