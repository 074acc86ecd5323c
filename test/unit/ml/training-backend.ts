import { selectBackend } from '../../../ml/backend';

/** The backend the training tests run on: the one a user gets by default (native TensorFlow here). */
export async function useTrainingBackend(): Promise<void> {
  await selectBackend('auto', { log: () => undefined });
}
