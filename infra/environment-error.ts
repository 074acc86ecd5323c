/** A variable (or a file it names) that cannot work as given; the message names the variable. */
export class EnvironmentError extends Error {
  override name = 'EnvironmentError';
}
