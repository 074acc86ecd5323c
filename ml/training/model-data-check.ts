import type * as tf from '@tensorflow/tfjs';
import type { ImageDataset } from '../datasets/image-dataset';

/** Throws a clear error when `data` does not fit the model's input shape or its number of classes. */
export function checkModelFitsData(model: tf.LayersModel, data: ImageDataset, context: string): void {
  const [, height, width, channels] = model.inputs[0]?.shape ?? [];
  if (height !== data.height || width !== data.width || channels !== data.channels) {
    throw new Error(
      `${context}: the model takes ${height}×${width}×${channels} images but the dataset has ${data.height}×${data.width}×${data.channels}; build the model for the dataset's shape or resize the data`,
    );
  }
  const classes = model.outputs[0]?.shape[1];
  if (classes !== data.numClasses) {
    throw new Error(
      `${context}: the model outputs ${classes} classes but the dataset has ${data.numClasses} (${data.classNames.join(', ')})`,
    );
  }
}
