// Fields every source has: event number, time, source, hostname.
import { type FalcoEventCtx, type FieldDef, MapFieldTable } from "./types.js";

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** `HH:MM:SS.nnnnnnnnn` in local time, as `%evt.time`. */
export function formatEvtTime(ns: bigint): string {
  const d = new Date(Number(ns / 1_000_000n));
  const frac = (ns % 1_000_000_000n).toString().padStart(9, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${frac}`;
}

/** `2018-10-25T14:09:12.581541000+0000` (UTC), as `%evt.time.iso8601`. */
export function formatIso8601(ns: bigint): string {
  const d = new Date(Number(ns / 1_000_000n));
  const frac = (ns % 1_000_000_000n).toString().padStart(9, "0");
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(
    d.getUTCMinutes(),
  )}:${pad(d.getUTCSeconds())}.${frac}+0000`;
}

/** `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` (UTC): the `time` of a JSON alert. */
export function formatAlertTime(ns: bigint): string {
  return formatIso8601(ns).replace("+0000", "Z");
}

function datetime(ns: bigint, withNs: boolean): string {
  const d = new Date(Number(ns / 1_000_000n));
  const base = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(
    d.getMinutes(),
  )}:${pad(d.getSeconds())}`;
  return withNs ? `${base}.${(ns % 1_000_000_000n).toString().padStart(9, "0")}` : base;
}

const g = (
  name: string,
  type: FieldDef["type"],
  extract: (ev: FalcoEventCtx) => ReturnType<FieldDef["extract"]>,
): FieldDef => ({ name, type, extract });

export const GENERIC_FIELDS: FieldDef[] = [
  g("evt.num", "int", (ev) => ev.num),
  g("evt.time", "string", (ev) => formatEvtTime(ev.timeNs)),
  g("evt.time.s", "string", (ev) => formatEvtTime(ev.timeNs).slice(0, 8)),
  g("evt.time.iso8601", "string", (ev) => formatIso8601(ev.timeNs)),
  g("evt.datetime", "string", (ev) => datetime(ev.timeNs, true)),
  g("evt.datetime.s", "string", (ev) => datetime(ev.timeNs, false)),
  g("evt.rawtime", "abstime", (ev) => ev.timeNs),
  g("evt.rawtime.s", "abstime", (ev) => ev.timeNs / 1_000_000_000n),
  g("evt.rawtime.ns", "abstime", (ev) => ev.timeNs % 1_000_000_000n),
  g("evt.reltime", "reltime", () => 0n),
  g("evt.reltime.s", "reltime", () => 0n),
  g("evt.reltime.ns", "reltime", () => 0n),
  g("evt.source", "string", (ev) => ev.source),
  g("evt.pluginname", "string", (ev) => (ev.source === "syscall" ? undefined : pluginName(ev.source))),
  g("evt.plugininfo", "string", (ev) => (ev.source === "syscall" ? undefined : pluginName(ev.source))),
  g("evt.hostname", "string", (ev) => ev.hostname),
  g("evt.is_async", "bool", () => false),
];

function pluginName(source: string): string {
  return source === "k8s_audit" ? "k8saudit" : source;
}

export const genericTable = new MapFieldTable(GENERIC_FIELDS);
