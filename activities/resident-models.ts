import type * as tf from '@tensorflow/tfjs';

/**
 * What a training worker keeps in memory between intervals, so a round does not pay for a download and
 * a rebuild it does not need:
 *
 * - **Resident sessions**: the model and optimizer an interval ended with, under the checkpoint key it
 *   saved and that checkpoint's manifest sha256. The next interval that starts from exactly that
 *   checkpoint (same key, same digest now in the store) takes the session instead of loading it. A
 *   session is taken out when used (it trains on, so it no longer is that checkpoint); a key whose
 *   digest in the store differs (the checkpoint was rewritten, e.g. by a retry elsewhere) is a miss
 *   and its stale entry is dropped. A worker that never trained the checkpoint simply misses.
 * - **Idle models**: at most one built model per architecture (model topology), not in use, whose
 *   weights a miss overwrites instead of building the architecture again.
 *
 * Bounded: at most `maxSessions` resident sessions and `maxBytes` of their weights and optimizer
 * slots; beyond either, the least recently stored session is evicted (its model becomes the idle one
 * of its architecture, or is disposed). Idle models add at most one model per architecture in use.
 */
export interface ResidentLimits {
  /** Resident sessions kept at most (0 disables residency; idle models are still reused). */
  maxSessions: number;
  /** Bytes of weights + optimizer slots kept at most over all resident sessions. */
  maxBytes: number;
}

export const defaultResidentLimits: ResidentLimits = { maxSessions: 4, maxBytes: 1024 ** 3 };

/** A model and optimizer as an interval left them, with the architecture key they were built from. */
export interface ResidentSession {
  model: tf.LayersModel;
  optimizer: tf.MomentumOptimizer;
  step: number;
  architecture: string;
}

interface Entry {
  digest: string;
  bytes: number;
  session: ResidentSession;
}

export class ResidentModels {
  /** In insertion order: the first entry is the least recently stored. */
  private readonly sessions = new Map<string, Entry>();
  private readonly idle = new Map<string, tf.LayersModel>();

  constructor(readonly limits: ResidentLimits = defaultResidentLimits) {
    for (const [field, value] of Object.entries(limits)) {
      if (!Number.isSafeInteger(value) || value < 0) {
        throw new Error(`resident models: ${field} must be a whole number >= 0; got ${String(value)}`);
      }
    }
  }

  /** The resident session saved as checkpoint `key` with manifest `digest`, taken out; else undefined. */
  take(key: string, digest: string): ResidentSession | undefined {
    const entry = this.sessions.get(key);
    if (entry === undefined) return undefined;
    this.sessions.delete(key);
    if (entry.digest === digest) return entry.session;
    this.release(entry.session);
    return undefined;
  }

  /** Keeps `session` as checkpoint `key` (manifest `digest`), evicting the oldest beyond the limits. */
  store(key: string, digest: string, bytes: number, session: ResidentSession): void {
    const previous = this.sessions.get(key);
    if (previous !== undefined) {
      this.sessions.delete(key);
      this.release(previous.session);
    }
    this.sessions.set(key, { digest, bytes, session });
    let total = [...this.sessions.values()].reduce((sum, entry) => sum + entry.bytes, 0);
    for (const [oldest, entry] of this.sessions) {
      if (this.sessions.size <= this.limits.maxSessions && total <= this.limits.maxBytes) break;
      this.sessions.delete(oldest);
      total -= entry.bytes;
      this.release(entry.session);
    }
  }

  /** An idle built model of `architecture`, taken out; else undefined (the caller builds one). */
  takeIdle(architecture: string): tf.LayersModel | undefined {
    const model = this.idle.get(architecture);
    this.idle.delete(architecture);
    return model;
  }

  /** Gives up a session no longer needed: its model becomes its architecture's idle one, or is disposed. */
  release(session: ResidentSession): void {
    session.optimizer.dispose();
    if (this.idle.has(session.architecture)) session.model.dispose();
    else this.idle.set(session.architecture, session.model);
  }

  /** What is held, for logs and tests. */
  describe(): { sessions: Array<{ key: string; digest: string; bytes: number }>; idle: number } {
    return {
      sessions: [...this.sessions].map(([key, entry]) => ({ key, digest: entry.digest, bytes: entry.bytes })),
      idle: this.idle.size,
    };
  }
}
