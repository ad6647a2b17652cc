/**
 * The built-in Falco rule engine as an event source: audit events in, Talon events out.
 * The engine (src/falco) knows nothing of the response side; this adapter does the mapping.
 */
import { hostname as osHostname } from "node:os";
import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import { decodeEventValue } from "../events/decode.js";
import type { FalcoEvent } from "../events/event.js";
import { parseJsonChunks } from "../events/json-chunks.js";
import { parsePriority } from "../falco/definitions.js";
import {
  type FalcoAlert,
  FalcoInputError,
  formatProblem,
  type LoadFalcoRulesOptions,
  loadFalcoRules,
  parseFalcoRelease,
} from "../falco/index.js";
import { StartupError } from "./errors.js";

export interface AuditDetector {
  /** Evaluates a request body (text, or the bytes as received); `error` is the 400 text for malformed input. */
  processAudit(body: string | readonly Buffer[]): { events: FalcoEvent[]; error?: string };
  ruleCount(): number;
  ruleNames(): string[];
}

/** A Falco alert as the Talon event it would be if Falco had POSTed it. */
export function alertToEvent(alert: FalcoAlert): FalcoEvent {
  return decodeEventValue({
    rule: alert.rule,
    priority: alert.priority,
    source: alert.source,
    output: alert.output,
    output_fields: alert.output_fields,
    tags: alert.tags,
    hostname: alert.hostname,
    time: alert.time,
  });
}

/** The engine settings of the config's `falco` section (validated by the config schema). */
export function falcoEngineOptions(falco: Config["falco"]): LoadFalcoRulesOptions {
  return {
    hostname: falco.hostname || osHostname(),
    ruleMatching: falco.rule_matching,
    minPriority: parsePriority(falco.priority)!,
    timeFormatIso8601: falco.time_format_iso_8601,
    release: parseFalcoRelease(falco.engine_version)!,
  };
}

/** `hostname` names this machine in the alerts, as Falco does (`falco.hostname`, else the host's). */
export function loadFalcoEngine(
  files: string[],
  logger: Logger,
  options: LoadFalcoRulesOptions = { hostname: osHostname() },
): AuditDetector {
  const { engine, problems } = loadFalcoRules(files, { hostname: osHostname(), ...options });
  for (const p of problems) {
    if (p.severity === "warning") logger.warn({ warning: formatProblem(p) }, "falco rules");
    else logger.error({ error: formatProblem(p) }, "falco rules");
  }
  if (!engine) throw new StartupError("invalid Falco rules");
  logger.info(
    { rules: engine.ruleCount() },
    `${engine.ruleCount()} Falco rules loaded for k8s_audit detection`,
  );
  return {
    ruleCount: () => engine.ruleCount(),
    ruleNames: () => engine.ruleNames(),
    processAudit(body) {
      let value: unknown;
      try {
        value = typeof body === "string" ? JSON.parse(body) : parseJsonChunks(body);
      } catch {
        return { events: [], error: "data not recognized as a k8s audit event" };
      }
      try {
        return { events: engine.processK8sAudit(value).map(alertToEvent) };
      } catch (err) {
        if (err instanceof FalcoInputError) return { events: [], error: err.message };
        throw err;
      }
    },
  };
}
