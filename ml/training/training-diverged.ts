/** The loss or the weights of a model became NaN or infinite: an outcome of training, not a fault. */
export class TrainingDivergedError extends Error {
  override name = 'TrainingDiverged';
  constructor(
    /** The global step at which the divergence was seen. */
    readonly step: number,
    message: string,
  ) {
    super(message);
  }
}
