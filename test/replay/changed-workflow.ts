// A deliberately changed amtoTraining (an extra timer before the real code), for the negative replay test.
import { sleep } from '@temporalio/workflow';
import { amtoTraining as original, type AmtoTrainingInput } from '../../workflows/amto-training';

export async function amtoTraining(input: AmtoTrainingInput): ReturnType<typeof original> {
  await sleep('1 second');
  return original(input);
}
