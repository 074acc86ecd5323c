import type { RunReportInput } from './run-report-input';

export interface TransferCounts {
  /** Task-rounds whose slave started from a donor's weights. */
  tried: number;
  /** Of those, the ones where the slave won and replaced the master. */
  accepted: number;
}

export function countTransfers(input: RunReportInput): TransferCounts {
  const entries = input.rounds.flatMap((round) => round.tasks);
  return {
    tried: entries.filter((entry) => entry.donor !== null).length,
    accepted: entries.filter((entry) => entry.accepted).length,
  };
}
