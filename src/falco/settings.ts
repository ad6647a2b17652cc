// The engine settings Falco users set in falco.yaml, with Falco's defaults and texts for bad values.
import { type Priority, parsePriority } from "./definitions.js";
import { DEFAULT_RELEASE, type FalcoRelease } from "./releases.js";

export interface FalcoSettings {
  /** `rule_matching`: `first` stops at the first matching rule of an event, `all` reports each */
  ruleMatching: "first" | "all";
  /** `priority`: rules less severe than this are not loaded */
  minPriority: Priority;
  /** `time_format_iso_8601`: the output's time prefix in ISO 8601 (UTC) instead of local HH:MM:SS.ns */
  timeFormatIso8601: boolean;
  /** `json_include_output_property`: JSON alerts carry `output` */
  jsonIncludeOutputProperty: boolean;
  /** `json_include_tags_property`: JSON alerts carry `tags` */
  jsonIncludeTagsProperty: boolean;
  /** `buffered_outputs`: alerts are written in chunks instead of flushed one by one */
  bufferedOutputs: boolean;
  /** the Falco release whose engine version and deprecation warnings the loader reproduces */
  release: FalcoRelease;
}

export const DEFAULT_SETTINGS: FalcoSettings = {
  ruleMatching: "first",
  minPriority: "Debug",
  timeFormatIso8601: false,
  jsonIncludeOutputProperty: true,
  jsonIncludeTagsProperty: true,
  bufferedOutputs: false,
  release: DEFAULT_RELEASE,
};

export const RULE_MATCHING = ["first", "all"] as const;

/** Falco's message for an unknown `rule_matching`. */
export function ruleMatchingError(v: string): string {
  return `Unknown rule matching strategy "${v}"--must be one of first, all`;
}

/** Falco's message for an unknown `priority`. */
export function priorityError(v: string): string {
  return `Unknown priority "${v}"--must be one of emergency, alert, critical, error, warning, notice, informational, debug`;
}

/** A `priority` value as Falco reads it (any letter case; `info` for informational). */
export function readPriority(v: string): Priority | undefined {
  return parsePriority(v);
}
