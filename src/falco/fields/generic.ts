// Fields every source has (libsinsp's generic event fields): event number, time, source, hostname.
import { NO_ARG } from "./sinsp-args.js";
import { GENERIC_FIELD_SPECS } from "./sinsp-fields.js";
import { type Extracted, type FalcoEventCtx, type FieldDef, fieldTypeOf, MapFieldTable } from "./types.js";

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

/** Extractors of the generic fields; every libsinsp generic field has one (fields.test.ts checks). */
const EXTRACTORS: Record<string, (ev: FalcoEventCtx) => Extracted> = {
  "evt.num": (ev) => ev.num,
  "evt.time": (ev) => formatEvtTime(ev.timeNs),
  "evt.time.s": (ev) => formatEvtTime(ev.timeNs).slice(0, 8),
  "evt.time.iso8601": (ev) => formatIso8601(ev.timeNs),
  "evt.datetime": (ev) => datetime(ev.timeNs, true),
  "evt.datetime.s": (ev) => datetime(ev.timeNs, false),
  "evt.rawtime": (ev) => ev.timeNs,
  "evt.rawtime.s": (ev) => ev.timeNs / 1_000_000_000n,
  "evt.rawtime.ns": (ev) => ev.timeNs % 1_000_000_000n,
  "evt.reltime": () => 0n,
  "evt.reltime.s": () => 0n,
  "evt.reltime.ns": () => 0n,
  "evt.source": (ev) => ev.source,
  "evt.pluginname": (ev) => (ev.source === "syscall" ? undefined : pluginName(ev.source)),
  "evt.plugininfo": (ev) => (ev.source === "syscall" ? undefined : pluginName(ev.source)),
  "evt.hostname": (ev) => ev.hostname,
  // a syscall-style JSON event may say it is an async one (e.g. {"evt.asynctype": "container"})
  "evt.is_async": (ev) => syscallValue(ev, "evt.asynctype") !== undefined,
  "evt.asynctype": (ev) => syscallValue(ev, "evt.asynctype"),
};

function syscallValue(ev: FalcoEventCtx, name: string): string | undefined {
  if (ev.source !== "syscall" || ev.payload === null || typeof ev.payload !== "object") return undefined;
  const v = (ev.payload as Record<string, unknown>)[name];
  return typeof v === "string" && Object.hasOwn(ev.payload, name) ? v : undefined;
}

export const GENERIC_FIELDS: FieldDef[] = GENERIC_FIELD_SPECS.map((spec) => {
  const name = spec.name;
  return {
    name,
    type: fieldTypeOf(spec.ptype),
    ptype: spec.ptype,
    desc: spec.desc,
    checkArg: (arg) => NO_ARG.check(name, arg),
    extract: EXTRACTORS[name] ?? (() => undefined),
  };
});

function pluginName(source: string): string {
  return source === "k8s_audit" ? "k8saudit" : source;
}

export const genericTable = new MapFieldTable(GENERIC_FIELDS);
