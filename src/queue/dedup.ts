/**
 * Deduplication inside a time window, keyed on rule + source + hostname + cleaned output
 * (Talon keyed on the output text alone, collapsing different rules together).
 */
import { hash } from "node:crypto";
import type { FalcoEvent } from "../events/event.js";

export function dedupKey(event: FalcoEvent): string {
  // One-shot hashing of the joined text: the same digest as feeding the parts in turn, at a
  // third of the cost.
  return hash("sha256", `${event.rule}\0${event.source}\0${event.hostname}\0${event.output}`, "hex");
}

export class Deduplicator {
  /** key → when it expires */
  private readonly seen = new Map<string, number>();
  /**
   * The keys in the order they were recorded, with the expiry each had then: with a constant
   * window the oldest expire first. A plain queue (head index, compacted as it empties) rather
   * than iterating the map: an iterator per event was a measurable share of the intake's time.
   */
  private keys: string[] = [];
  private expiries: number[] = [];
  private head = 0;

  /** @param windowMs 0 disables deduplication. */
  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when the key was already seen inside the window; otherwise records it. */
  isDuplicate(key: string): boolean {
    if (this.windowMs <= 0) return false;
    const t = this.now();
    this.expire(t);
    const expires = this.seen.get(key);
    if (expires !== undefined && expires > t) return true;
    const expiry = t + this.windowMs;
    this.seen.set(key, expiry);
    this.keys.push(key);
    this.expiries.push(expiry);
    return false;
  }

  /** Forgets a key (an event accepted by dedup but then refused, e.g. queue full). */
  forget(key: string): void {
    // its queue entry stays, and finds nothing (or a newer record, left alone) when it expires
    this.seen.delete(key);
  }

  /** How many keys are remembered (tests). */
  get size(): number {
    return this.seen.size;
  }

  private expire(t: number): void {
    const { keys, expiries } = this;
    let h = this.head;
    while (h < keys.length && expiries[h]! <= t) {
      const k = keys[h]!;
      // a key recorded again later has a later expiry in the map: only its own entry removes it
      if (this.seen.get(k) === expiries[h]) this.seen.delete(k);
      h++;
    }
    if (h === keys.length) {
      this.keys = [];
      this.expiries = [];
      h = 0;
    } else if (h > 1024 && h * 2 > keys.length) {
      this.keys = keys.slice(h);
      this.expiries = expiries.slice(h);
      h = 0;
    }
    this.head = h;
  }
}
