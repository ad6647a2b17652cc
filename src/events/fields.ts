/**
 * Reading event fields as text, as Talon's field getters do.
 */

import type { FalcoEvent } from "./event.js";
import { JsonNumber } from "./event.js";
import { stringifyJsonExact } from "./json.js";

/**
 * The text of a field value for matching and substitution: strings as is, numbers
 * as sent (never exponent form), booleans `true`/`false`, null `<nil>`, objects as JSON.
 */
export function fieldText(v: unknown): string {
  if (typeof v === "string") return v;
  if (v instanceof JsonNumber) return v.raw;
  if (typeof v === "number") return numberText(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  if (v === null || v === undefined) return "<nil>";
  if (typeof v === "bigint") return v.toString();
  return stringifyJsonExact(v);
}

/** A number without exponent form (1234567 → "1234567", 1e21 → "1000000000000000000000"). */
export function numberText(n: number): string {
  const s = String(n);
  if (!/e/i.test(s)) return s;
  if (Number.isInteger(n)) return BigInt(n).toString();
  // Small magnitudes: fixed notation with enough digits, trailing zeros trimmed.
  return n.toFixed(20).replace(/\.?0+$/, "");
}

/** Getter semantics: strings and numbers give text, any other type gives "". */
function scalarText(v: unknown): string {
  if (typeof v === "string") return v;
  if (v instanceof JsonNumber) return v.raw;
  if (typeof v === "number") return numberText(v);
  return "";
}

function first(event: FalcoEvent, keys: string[]): string {
  for (const k of keys) {
    const t = scalarText(event.output_fields[k]);
    if (t !== "") return t;
  }
  return "";
}

export const getPodName = (e: FalcoEvent) =>
  first(e, ["k8s.pod.name", "ka.target.pod.name", "ka.target.name"]);
export const getNamespace = (e: FalcoEvent) => first(e, ["k8s.ns.name", "ka.target.namespace"]);
export const getTargetName = (e: FalcoEvent) => first(e, ["ka.target.name"]);
export const getTargetNamespace = (e: FalcoEvent) => first(e, ["ka.target.namespace"]);
export const getTargetResource = (e: FalcoEvent) => first(e, ["ka.target.resource"]);
export const getRemoteIP = (e: FalcoEvent) => first(e, ["fd.rip", "fd.sip"]);
export const getRemotePort = (e: FalcoEvent) => first(e, ["fd.rport", "fd.sport"]);
export const getRemoteProtocol = (e: FalcoEvent) => first(e, ["fd.rproto", "fd.sproto"]);
