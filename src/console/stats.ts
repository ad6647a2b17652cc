/**
 * Counts over time for the console's charts: events per time bucket by priority, and action
 * outcomes per bucket by status (at the outcome's time).
 */
import type { ConsoleEvent, Stats } from "./types.js";

/** At most this many buckets, whatever the range and bucket asked. */
export const MAX_BUCKETS = 1440;

export interface StatsRange {
  /** Epoch ms. */
  since: number;
  until: number;
  bucketSeconds: number;
}

export function computeStats(events: Iterable<ConsoleEvent>, range: StatsRange): Stats {
  const size = range.bucketSeconds * 1000;
  const start = Math.floor(range.since / size) * size;
  const count = Math.min(MAX_BUCKETS, Math.max(1, Math.ceil((range.until - start) / size)));
  const times = Array.from({ length: count }, (_, i) => (start + i * size) / 1000);
  const by_priority: Record<string, number[]> = {};
  const by_action_status: Record<string, number[]> = {};
  const add = (table: Record<string, number[]>, key: string, t: number) => {
    const i = Math.floor((t - start) / size);
    if (!(i >= 0 && i < count)) return;
    let row = table[key];
    if (!row) {
      row = new Array<number>(count).fill(0);
      table[key] = row;
    }
    row[i]!++;
  };
  for (const ev of events) {
    add(by_priority, ev.event.priority || "unknown", Date.parse(ev.received_at));
    for (const a of ev.actions) add(by_action_status, a.status, Date.parse(a.time));
  }
  return { times, by_priority, by_action_status };
}
