/**
 * The console's history: the audit trail read back (the tail of `audit.file` in single-replica
 * mode, the JetStream audit stream with NATS, so every replica's events show) merged with the
 * live buffer, filtered and paged newest first. What is read is bounded: the file's last
 * `maxBytes`, the stream's last `maxEntries` since the asked time (default the last day).
 */
import { open } from "node:fs/promises";
import type { NatsAuditOptions } from "../audit/jetstream.js";
import type { AuditEntry } from "../audit/log.js";
import { parseJsonExact } from "../events/json.js";
import { type EventFilter, matchesFilter } from "./filter.js";
import { foldEntries } from "./fold.js";
import type { ConsoleEvent, EventsPage } from "./types.js";

/** Reads audit entries (oldest first), at most from `sinceMs` on when given. */
export interface AuditReader {
  read(sinceMs?: number): Promise<AuditEntry[]>;
}

function parseEntry(line: string): AuditEntry | undefined {
  if (line.trim() === "") return undefined;
  try {
    // Event entries may hold numbers past JavaScript's precision: kept exact.
    const e = (line.includes('"message":"event"') ? parseJsonExact(line) : JSON.parse(line)) as AuditEntry;
    if (typeof e !== "object" || e === null || typeof e.time !== "string") return undefined;
    return e;
  } catch {
    // A torn last line (a crash mid-write), or the cut first line of a tail.
    return undefined;
  }
}

/** The last `maxBytes` of the audit file (its first, possibly cut, line dropped). */
export function fileAuditReader(file: string, maxBytes = 16 << 20): AuditReader {
  return {
    async read(sinceMs) {
      const fh = await open(file, "r");
      try {
        const { size } = await fh.stat();
        const start = Math.max(0, size - maxBytes);
        const buf = Buffer.alloc(size - start);
        await fh.read(buf, 0, buf.length, start);
        let text = buf.toString("utf8");
        if (start > 0) text = text.slice(text.indexOf("\n") + 1);
        const out: AuditEntry[] = [];
        for (const line of text.split("\n")) {
          const e = parseEntry(line);
          if (e && !(sinceMs !== undefined && Date.parse(e.time) < sinceMs)) out.push(e);
        }
        return out;
      } finally {
        await fh.close();
      }
    },
  };
}

/** The JetStream audit stream (every replica's entries), the last `maxEntries` since the time asked. */
export function streamAuditReader(
  opts: NatsAuditOptions,
  readStream: (opts: NatsAuditOptions, query: { sinceMs?: number }) => AsyncGenerator<string>,
  maxEntries = 50_000,
  defaultWindowMs = 86_400_000,
): AuditReader {
  return {
    async read(sinceMs) {
      const from = sinceMs ?? Date.now() - defaultWindowMs;
      const out: AuditEntry[] = [];
      for await (const line of readStream(opts, { sinceMs: from })) {
        const e = parseEntry(line);
        if (!e || Date.parse(e.time) < from) continue;
        out.push(e);
        if (out.length > maxEntries) out.shift();
      }
      // Replicas publish concurrently: order by the entries' own time (stable for equal times).
      return out
        .map((e, i) => ({ e, i, t: Date.parse(e.time) }))
        .sort((a, b) => a.t - b.t || a.i - b.i)
        .map((x) => x.e);
    },
  };
}

/**
 * Keeps a reader's last answer for `ms`, so a page load's several calls read the trail once. A
 * `since` is rounded down to the minute (relative times move at every call); callers filter
 * exactly.
 */
export function cachedReader(reader: AuditReader, ms = 2000, now = Date.now): AuditReader {
  let last: { at: number; since: number | undefined; entries: Promise<AuditEntry[]> } | undefined;
  return {
    read(exactSince) {
      const sinceMs = exactSince === undefined ? undefined : Math.floor(exactSince / 60_000) * 60_000;
      const t = now();
      if (last && t - last.at < ms && last.since === sinceMs) return last.entries;
      const entries = reader.read(sinceMs);
      last = { at: t, since: sinceMs, entries };
      entries.catch(() => {
        if (last?.entries === entries) last = undefined;
      });
      return entries;
    },
  };
}

const time = (ev: ConsoleEvent) => Date.parse(ev.received_at) || 0;

/** Newest first; equal times by id, so paging is stable. */
function newestFirst(a: ConsoleEvent, b: ConsoleEvent): number {
  return time(b) - time(a) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

export function cursorOf(ev: ConsoleEvent): string {
  return `${time(ev)}~${ev.id}`;
}

/** Whether `ev` comes after the cursor in newest-first order. */
function olderThan(ev: ConsoleEvent, cursor: string): boolean {
  const i = cursor.indexOf("~");
  const t = Number(cursor.slice(0, i));
  const id = cursor.slice(i + 1);
  const et = time(ev);
  return et < t || (et === t && ev.id < id);
}

export function validCursor(cursor: string): boolean {
  return /^\d{1,16}~[^~]{1,100}$/.test(cursor);
}

/** Every event known: the trail's, then the live buffer's (more complete) over them. */
export async function knownEvents(
  live: readonly ConsoleEvent[],
  reader: AuditReader | undefined,
  sinceMs?: number,
): Promise<Map<string, ConsoleEvent>> {
  const events = reader ? foldEntries(await reader.read(sinceMs)) : new Map<string, ConsoleEvent>();
  for (const ev of live) {
    const trail = events.get(ev.id);
    events.set(ev.id, trail ? withTrailReverts(ev, trail) : ev);
  }
  return events;
}

/**
 * A live event with the reverts only the trail knows (another replica's, with NATS). The live
 * view is shared with the stream: a copy is made when something is added.
 */
function withTrailReverts(live: ConsoleEvent, trail: ConsoleEvent): ConsoleEvent {
  let added = false;
  const actions = live.actions.map((a) => {
    if (a.reverted || a.action_id === undefined) return a;
    const reverted = trail.actions.find((t) => t.action_id === a.action_id)?.reverted;
    if (!reverted) return a;
    added = true;
    return { ...a, reverted };
  });
  return added ? { ...live, actions } : live;
}

export function page(
  events: Iterable<ConsoleEvent>,
  filter: EventFilter,
  limit: number,
  before?: string,
): EventsPage {
  const kept: ConsoleEvent[] = [];
  for (const ev of events) {
    if (before !== undefined && !olderThan(ev, before)) continue;
    if (matchesFilter(ev, filter)) kept.push(ev);
  }
  kept.sort(newestFirst);
  const out = kept.slice(0, limit);
  return kept.length > limit ? { events: out, next: cursorOf(out[out.length - 1]!) } : { events: out };
}
