import { randomBytes } from 'node:crypto';

/** A fresh, sortable run id: `run-YYYYMMDD-HHMMSS-xxxx` (UTC, 4 random hex digits against collisions). */
export function generateRunId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `run-${stamp}-${randomBytes(2).toString('hex')}`;
}
