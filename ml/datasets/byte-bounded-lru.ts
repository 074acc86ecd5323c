/** A least-recently-used map whose entries have sizes in bytes and whose total stays within a bound. */
export class ByteBoundedLru<V> {
  private readonly entries = new Map<string, { value: V; bytes: number }>();
  private totalBytes = 0;

  constructor(private maxBytes: number) {}

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) {
      return undefined;
    }
    // Re-insert so Map iteration order (oldest first) tracks recency.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Stores `value` unless it alone exceeds the bound; evicts the least recently used entries to fit. */
  set(key: string, value: V, bytes: number): void {
    this.delete(key);
    if (bytes > this.maxBytes) {
      return;
    }
    this.entries.set(key, { value, bytes });
    this.totalBytes += bytes;
    this.evictToFit();
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (entry !== undefined) {
      this.entries.delete(key);
      this.totalBytes -= entry.bytes;
    }
  }

  setMaxBytes(maxBytes: number): void {
    this.maxBytes = maxBytes;
    this.evictToFit();
  }

  get bytes(): number {
    return this.totalBytes;
  }

  get size(): number {
    return this.entries.size;
  }

  private evictToFit(): void {
    for (const [key, entry] of this.entries) {
      if (this.totalBytes <= this.maxBytes) {
        return;
      }
      this.entries.delete(key);
      this.totalBytes -= entry.bytes;
    }
  }
}
