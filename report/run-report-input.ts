/**
 * Everything the run report shows about one AMTO training run. The CLI builds it from the run-state
 * document; `renderRunReport` checks it (see validate-run-report-input.ts) before drawing anything.
 * Tasks are numbered 0..tasks-1, rounds from 1.
 */
export interface RunReportTaskRound {
  task: number;
  /** Whose weights the slave took; null when no transfer was tried. */
  donor: number | null;
  /** Whether the slave was kept (it replaced the master). */
  accepted: boolean;
  masterValLoss: number;
  slaveValLoss: number | null;
  /** null when not recorded (the run state keeps only the kept model's accuracy). */
  masterValAccuracy: number | null;
  slaveValAccuracy: number | null;
  /** RL_m after this round's update, one entry per task. */
  relationship: number[];
}

export interface RunReportRound {
  /** 1-based. */
  round: number;
  /** Global iteration at the end of the round. */
  iteration: number;
  tasks: RunReportTaskRound[];
}

export interface RunReportFinal {
  chosenTask: number;
  harmonicAccuracy: number;
  /** Accuracy of the chosen model on each task's validation split, indexed by task. */
  validationAccuracies: number[];
  testAccuracy: number | null;
  stopReason: string;
}

export interface RunReportInput {
  runId: string;
  arch: string;
  dataset: string;
  tasks: number;
  interval: number;
  rounds: RunReportRound[];
  /** null while the run has not selected its final model. */
  final: RunReportFinal | null;
}
