import type { RunConfig } from '../amto';

/** The name a run's dataset is shown by (progress, report, search attributes): its own, else the folder's. */
export function datasetNameFor(config: RunConfig): string {
  const { dataset } = config;
  if (dataset.kind === 'fashion-mnist') return 'fashion-mnist';
  return dataset.name ?? dataset.path.replace(/\/+$/, '').split('/').pop() ?? dataset.path;
}
