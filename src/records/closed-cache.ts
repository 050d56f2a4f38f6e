/**
 * A small cache for what a closed vote's record makes once and never changes (the sealed
 * tree of a receipt proof, the built record): least recently used entries go first, and
 * concurrent misses for one vote share one build (single flight). A hall of delegates
 * checking receipts right after a 10,000-ballot close, or an observer screen refreshing the
 * public record, would otherwise rebuild it per request, seconds of CPU each.
 *
 * Only closed votes may be cached: nothing of their sealed part changes after the close.
 */
export class ClosedVoteCache<T> {
  private readonly done = new Map<string, T>();
  private readonly inFlight = new Map<string, Promise<T | null>>();

  constructor(private readonly capacity: number) {}

  /**
   * The cached value, or the one `build` makes (shared by every caller waiting for it).
   * A null from `build` (nothing to cache yet) is returned and not kept.
   */
  async get(key: string, build: () => Promise<T | null>): Promise<T | null> {
    const hit = this.done.get(key);
    if (hit !== undefined) {
      // Re-inserted: a Map iterates in insertion order, so the first key is the least recent.
      this.done.delete(key);
      this.done.set(key, hit);
      return hit;
    }
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = build()
        .then((value) => {
          if (value !== null) {
            this.done.set(key, value);
            while (this.done.size > this.capacity) this.done.delete(this.done.keys().next().value!);
          }
          return value;
        })
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }
}
