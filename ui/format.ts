/** Display helpers shared by the pages. */

export const PRIORITIES = [
  "Emergency",
  "Alert",
  "Critical",
  "Error",
  "Warning",
  "Notice",
  "Informational",
  "Debug",
] as const;

export const ACTION_STATUSES = ["success", "failure", "ignored"] as const;

export function formatTime(iso: string | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hour12: false,
  });
}

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** A CSS class name from a priority or status word (a fixed set; anything else is "other"). */
export function tone(word: string): string {
  const w = word.toLowerCase();
  if (["emergency", "alert", "critical", "error", "failure", "failed", "conflict"].includes(w)) return "bad";
  if (["warning", "ignored", "skipped"].includes(w)) return "warn";
  if (["success", "succeeded", "reverted", "ok"].includes(w)) return "good";
  return "info";
}

/** Status words get a glyph too, so colour is never the only signal. */
export function statusGlyph(word: string): string {
  switch (tone(word)) {
    case "bad":
      return "✗";
    case "good":
      return "✓";
    case "warn":
      return "!";
    default:
      return "•";
  }
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

export function text(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}
