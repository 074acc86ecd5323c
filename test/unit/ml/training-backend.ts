import { selectBackend } from '../../../ml/backend';

/** The backend the training tests run on: WASM with the project's gradient kernels (CPU is far slower). */
export async function useTrainingBackend(): Promise<void> {
  await selectBackend('wasm', { log: () => undefined });
}
