// Evaluation engine: rules indexed by source, `first`/`all` rule matching, alert formatting.

import { JsonNumber } from "../events/event.js";
import { type LoadedRule, PRIORITIES, type Priority } from "./definitions.js";
import { formatAlertTime, formatEvtTime, formatIso8601 } from "./fields/generic.js";
import { fieldTableFor, K8S_AUDIT_SOURCE, SYSCALL_SOURCE } from "./fields/index.js";
import type { FalcoEventCtx, FieldDef } from "./fields/types.js";
import { exactInteger } from "./output.js";
import { RuleIndex } from "./rule-index.js";

export interface FalcoAlert {
  time: string;
  rule: string;
  priority: string;
  source: string;
  output: string;
  output_fields: Record<string, unknown>;
  tags: string[];
  hostname: string;
}

export class FalcoInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FalcoInputError";
  }
}

export interface EngineOptions {
  hostname?: string;
  /** Falco's `rule_matching`: `first` (default) stops at the first matching rule per event */
  ruleMatching?: "first" | "all";
  /** `time_format_iso_8601`: prefix text alerts with the ISO time instead of HH:MM:SS.ns (local) */
  timeFormatIso8601?: boolean;
  /** only rules with at least this priority are evaluated (default Debug = all) */
  minPriority?: Priority;
  /** test an audit event only against the rules its verb and resource can match (default true; false for tests) */
  indexRules?: boolean;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:\d{2})$/;

/** RFC3339(Nano) → ns since the epoch. */
export function parseRfc3339Nano(s: string): bigint | undefined {
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  if (Number.isNaN(ms)) return undefined;
  let ns = BigInt(ms) * 1_000_000n + BigInt((m[7] ?? "").padEnd(9, "0") || "0");
  const tz = m[8]!;
  if (tz !== "Z" && tz !== "z") {
    const sign = tz[0] === "-" ? -1n : 1n;
    const mins = BigInt(Number(tz.slice(1, 3)) * 60 + Number(tz.slice(4, 6)));
    ns -= sign * mins * 60_000_000_000n;
  }
  return ns;
}

const FRACTION = /^\.\d{1,9}$/;

/**
 * Reads stageTimestamps, remembering the last UTC second seen: an audit log's events are seconds
 * apart at most, so most reads only add the fraction (no regex, no date arithmetic).
 */
class StageTimeReader {
  private second = "";
  private secondNs = 0n;

  read(s: string): bigint | undefined {
    const n = s.length;
    if (this.second !== "" && n >= 20 && s.charCodeAt(n - 1) === 90 && s.startsWith(this.second)) {
      if (n === 20) return this.secondNs;
      const frac = s.slice(19, n - 1);
      if (FRACTION.test(frac)) return this.secondNs + BigInt(frac.slice(1).padEnd(9, "0"));
    }
    const ns = parseRfc3339Nano(s);
    if (ns !== undefined && s.charCodeAt(n - 1) === 90) {
      this.second = s.slice(0, 19);
      this.secondNs = parseRfc3339Nano(`${this.second}Z`)!;
    }
    return ns;
  }
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/** Splits a k8s audit webhook body (Event, EventList, or an array of those) into events. */
export function splitAuditEvents(body: unknown): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const visit = (v: unknown, depth: number): boolean => {
    if (Array.isArray(v) && depth === 0) return v.every((x) => visit(x, 1));
    if (!isObj(v)) return false;
    if (v.kind === "Event") {
      out.push(v);
      return true;
    }
    if (v.kind === "EventList" && Array.isArray(v.items)) {
      for (const it of v.items) {
        if (!isObj(it)) return false;
        out.push(it);
      }
      return true;
    }
    return false;
  };
  if (!visit(body, 0)) throw new FalcoInputError("data not recognized as a k8s audit event");
  return out;
}

/** The k8s_audit fields whose values select the rules an audit event is tested against. */
const K8S_INDEX_FIELDS = ["ka.verb", "ka.target.resource"];

export class Engine {
  private readonly bySource = new Map<string, LoadedRule[]>();
  private readonly k8sIndex?: RuleIndex<LoadedRule>;
  private readonly k8sIndexFields: FieldDef[];
  private num = 0n;
  private readonly stageTime = new StageTimeReader();
  private readonly hostname: string;
  private readonly all: boolean;
  private readonly iso: boolean;

  constructor(
    private readonly rules: LoadedRule[],
    opts: EngineOptions = {},
  ) {
    this.hostname = opts.hostname ?? "";
    this.all = opts.ruleMatching === "all";
    this.iso = !!opts.timeFormatIso8601;
    const min = PRIORITIES.indexOf(opts.minPriority ?? "Debug");
    const sorted = [...rules].sort((a, b) => a.ordinal - b.ordinal);
    for (const r of sorted) {
      if (!r.enabled || PRIORITIES.indexOf(r.priority) > min) continue;
      let list = this.bySource.get(r.source);
      if (!list) {
        list = [];
        this.bySource.set(r.source, list);
      }
      list.push(r);
    }
    const k8s = this.bySource.get(K8S_AUDIT_SOURCE);
    const table = fieldTableFor(K8S_AUDIT_SOURCE);
    this.k8sIndexFields = K8S_INDEX_FIELDS.map((f) => table.lookup(f)!);
    if (k8s && opts.indexRules !== false)
      this.k8sIndex = new RuleIndex(
        k8s,
        k8s.map((r) => r.ast),
        K8S_INDEX_FIELDS,
      );
  }

  ruleCount(): number {
    return this.rules.length;
  }

  /** The names of the loaded rules (the only rule names this engine's alerts can carry). */
  ruleNames(): string[] {
    return this.rules.map((r) => r.name);
  }

  enabledRuleCount(source?: string): number {
    if (source) return this.bySource.get(source)?.length ?? 0;
    let n = 0;
    for (const l of this.bySource.values()) n += l.length;
    return n;
  }

  processK8sAudit(body: unknown): FalcoAlert[] {
    // one Event (a line of an audit log): no list to build
    if (isObj(body) && body.kind === "Event") return this.auditEvent(body);
    const events = splitAuditEvents(body);
    const alerts: FalcoAlert[] = [];
    for (const ev of events) alerts.push(...this.auditEvent(ev));
    return alerts;
  }

  private auditEvent(ev: Record<string, unknown>): FalcoAlert[] {
    const ts = ev.stageTimestamp;
    const ns = typeof ts === "string" ? this.stageTime.read(ts) : undefined;
    if (ns === undefined) throw new FalcoInputError("can't read stageTimestamp");
    return this.evaluate(K8S_AUDIT_SOURCE, ev, ns);
  }

  processJson(event: unknown, source: string): FalcoAlert[] {
    if (source === K8S_AUDIT_SOURCE && isObj(event)) {
      const ts = event.stageTimestamp;
      const ns = typeof ts === "string" ? parseRfc3339Nano(ts) : undefined;
      return this.evaluate(source, event, ns ?? BigInt(Date.now()) * 1_000_000n);
    }
    let ns = BigInt(Date.now()) * 1_000_000n;
    if (source === SYSCALL_SOURCE && isObj(event)) {
      const t = event["evt.rawtime"];
      if (typeof t === "bigint" || (typeof t === "number" && Number.isInteger(t))) ns = BigInt(t);
      else if ((typeof t === "string" || t instanceof JsonNumber) && /^\d+$/.test(String(t)))
        ns = BigInt(String(t));
    }
    return this.evaluate(source, event, ns);
  }

  private evaluate(source: string, payload: unknown, timeNs: bigint): FalcoAlert[] {
    let rules = this.bySource.get(source);
    this.num++;
    if (!rules) return [];
    const ctx: FalcoEventCtx = { source, timeNs, payload, num: this.num, hostname: this.hostname };
    if (source === K8S_AUDIT_SOURCE && this.k8sIndex) {
      // the same extractors the conditions use, so the index sees what they would compare
      const fields = this.k8sIndexFields;
      const values: (string | undefined)[] = new Array(fields.length);
      for (let i = 0; i < fields.length; i++) {
        const v = fields[i]!.extract(ctx, undefined);
        values[i] = typeof v === "string" ? v : undefined;
      }
      rules = this.k8sIndex.candidates(values);
      if (rules.length === 0) return [];
    }
    const alerts: FalcoAlert[] = [];
    for (const r of rules) {
      if (!r.evaluate(ctx)) continue;
      alerts.push(this.alert(r, ctx));
      if (!this.all) break;
    }
    return alerts;
  }

  private alert(r: LoadedRule, ctx: FalcoEventCtx): FalcoAlert {
    const { text, fields } = r.output.render(ctx);
    const timeKey = this.iso ? "evt.time.iso8601" : "evt.time";
    const prefix = this.iso ? formatIso8601(ctx.timeNs) : formatEvtTime(ctx.timeNs);
    return {
      time: formatAlertTime(ctx.timeNs),
      rule: r.name,
      priority: r.priority,
      source: r.source,
      output: `${prefix}: ${r.priority} ${text}`,
      output_fields: { [timeKey]: exactInteger(ctx.timeNs), ...fields },
      tags: r.tags,
      hostname: this.hostname,
    };
  }
}
