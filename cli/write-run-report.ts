import { join } from 'node:path';
import type { Environment } from '../infra/environment';
import { renderRunReport, type RunReportFiles } from '../report';
import { runReportFromDocuments } from './run-report-from-documents';
import { loadLatestDocument, loadRoundDocuments, openRunStates } from './run-state-documents';

/** Where `amto report` writes by default: ./amto-reports/<runId>/. */
export function defaultReportDir(runId: string): string {
  return join('amto-reports', runId);
}

/** Loads the run's per-round documents from the object store and renders its report into outDir. */
export async function writeRunReport(
  environment: Environment,
  runId: string,
  outDir: string,
): Promise<RunReportFiles & { skippedRounds: number[] }> {
  const runStates = openRunStates(environment);
  const latest = await loadLatestDocument(runStates, runId);
  const documents = await loadRoundDocuments(runStates, runId, latest.state.round);
  // The final write of latest.json carries the result; the last round's own copy may predate it.
  documents[documents.length - 1] = latest;
  const { input, skippedRounds } = runReportFromDocuments(documents);
  return { ...(await renderRunReport(input, outDir)), skippedRounds };
}
