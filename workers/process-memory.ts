import type { Context } from '@temporalio/activity';
import type { Next } from '@temporalio/common';
import type {
  ActivityExecuteInput,
  ActivityInboundCallsInterceptor,
  ActivityInterceptors,
} from '@temporalio/worker';
import * as tf from '@tensorflow/tfjs';

/** What a worker process holds after an activity: RSS (native heaps included) and tfjs' tensors. */
export interface ProcessMemory {
  rssMb: number;
  heapMb: number;
  tensors: number;
  tensorMb: number;
}

const mb = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;

export function processMemory(): ProcessMemory {
  const usage = process.memoryUsage();
  const tensors = tf.memory();
  return {
    rssMb: mb(usage.rss),
    heapMb: mb(usage.heapUsed),
    tensors: tensors.numTensors,
    tensorMb: mb(tensors.numBytes),
  };
}

/**
 * Logs the process's memory after every activity, so a worker that grows over a long run shows it in its
 * own log (the graph engine's tensors live in TensorFlow's heap: only RSS sees them).
 */
export function processMemoryLog(context: Context): ActivityInterceptors {
  return {
    inbound: {
      execute: async (
        input: ActivityExecuteInput,
        next: Next<ActivityInboundCallsInterceptor, 'execute'>,
      ): Promise<unknown> => {
        try {
          return await next(input);
        } finally {
          context.log.info('process memory', { ...processMemory() });
        }
      },
    },
  };
}
