import type { RunConfig } from '../amto';
import { minInputSize } from '../ml/models';

/** The model input [height, width, channels] a run uses: the config's, else the dataset's natural one. */
export function inputShapeFor(config: RunConfig): [number, number, number] {
  const { arch, inputSize, channels } = config.model;
  const fashion = config.dataset.kind === 'fashion-mnist';
  const natural = arch === 'small-cnn' ? (fashion ? 28 : 64) : 224;
  const side = Math.max(inputSize ?? natural, minInputSize(arch));
  return [side, side, channels ?? (fashion && arch === 'small-cnn' ? 1 : 3)];
}
