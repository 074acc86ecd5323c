/** What a pending activity's last heartbeat names, read the way trainInterval reads it: with the contract's schema. */
import { trainIntervalHeartbeatSchema, type TrainIntervalHeartbeat } from '../../activities/contracts';

/** A pending activity as `describe()` reports it (only what is read here). */
interface PendingActivity {
  heartbeatDetails?: { payloads?: { data?: Uint8Array | null }[] | null } | null;
}

/**
 * The resume point a training activity's last heartbeat names; null when the heartbeat carried no
 * details (an attempt that has not saved an in-interval checkpoint yet). Details of another shape throw:
 * the test then fails naming them, rather than reading a field that is not there.
 */
export function resumePointOf(activity: PendingActivity): TrainIntervalHeartbeat | null {
  const data = activity.heartbeatDetails?.payloads?.[0]?.data;
  if (!data || data.length === 0) return null;
  const text = Buffer.from(data).toString('utf8');
  const parsed = trainIntervalHeartbeatSchema.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw new Error(`heartbeat details ${text} are no TrainIntervalHeartbeat: ${parsed.error.message}`);
  return parsed.data;
}
