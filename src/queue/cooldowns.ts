import type { CooldownStore } from "./types.js";

/** Cooldowns in this process's memory; expired entries are pruned as the map grows. */
export class MemoryCooldowns implements CooldownStore {
  private readonly until = new Map<string, number>();
  private pruneAt = 10_000;

  async claim(key: string, seconds: number): Promise<number | undefined> {
    return this.claimNow(key, seconds);
  }

  /** The same, synchronously (also the fallback when a shared store is unreachable). */
  claimNow(key: string, seconds: number): number | undefined {
    const now = Date.now();
    const until = this.until.get(key);
    if (until !== undefined && until > now) return Math.ceil((until - now) / 1000);
    this.until.set(key, now + seconds * 1000);
    if (this.until.size > this.pruneAt) {
      for (const [k, u] of this.until) if (u <= now) this.until.delete(k);
      this.pruneAt = Math.max(10_000, this.until.size * 2);
    }
    return undefined;
  }
}
