/** The timeline's filters: the same names in the page's URL, the events query and the stream. */

export const FILTER_KEYS = [
  "priority",
  "falco_rule",
  "rule",
  "namespace",
  "pod",
  "actionner",
  "status",
  "since",
  "until",
  "q",
] as const;

export type FilterKey = (typeof FILTER_KEYS)[number];
export type Filters = Partial<Record<FilterKey, string>>;

export function filtersFrom(search: string): Filters {
  const params = new URLSearchParams(search);
  const filters: Filters = {};
  for (const key of FILTER_KEYS) {
    const value = params.get(key)?.trim();
    if (value) filters[key] = value;
  }
  return filters;
}

export function toQuery(filters: Filters, extra: Record<string, string> = {}): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = filters[key]?.trim();
    if (value) params.set(key, value);
  }
  for (const [k, v] of Object.entries(extra)) params.set(k, v);
  return params;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Seconds in a duration like `90s`, `15m`, `6h`, `7d`; undefined for anything else (an ISO time). */
export function durationSeconds(text: string): number | undefined {
  const m = /^(\d+)([smhd])$/.exec(text.trim());
  return m ? Number(m[1]) * UNIT_SECONDS[m[2]!]! : undefined;
}

/** The charts' range and bucket: the `since` filter (1h by default), about 30 buckets of whole minutes. */
export function statsWindow(filters: Filters): { since: string; bucket: number } {
  const since = filters.since ?? "1h";
  const seconds = durationSeconds(since) ?? (Date.now() - Date.parse(since)) / 1000;
  const span = Number.isFinite(seconds) && seconds > 0 ? seconds : 3600;
  const bucket =
    span <= 1800
      ? Math.max(10, Math.round(span / 30 / 10) * 10)
      : Math.max(60, Math.round(span / 30 / 60) * 60);
  return { since, bucket };
}
