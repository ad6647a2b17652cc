// `falco-talon detect`: its flags for Falco's engine settings, over the config's `falco` section.
import { type Command, InvalidArgumentError, Option } from "commander";
import type { Config } from "../config/schema.js";
import type { Priority } from "../falco/definitions.js";
import { FALCO_RELEASES, type FalcoRelease, parseFalcoRelease, releaseError } from "../falco/releases.js";
import {
  type FalcoSettings,
  priorityError,
  RULE_MATCHING,
  readPriority,
  ruleMatchingError,
} from "../falco/settings.js";

export interface DetectFlags {
  ruleMatching?: "first" | "all";
  priority?: Priority;
  timeFormatIso8601?: boolean;
  jsonIncludeOutputProperty?: boolean;
  jsonIncludeTagsProperty?: boolean;
  bufferedOutputs?: boolean;
  engineVersion?: FalcoRelease;
}

const parse =
  <T>(read: (v: string) => T | undefined, error: (v: string) => string) =>
  (v: string): T => {
    const r = read(v);
    if (r === undefined) throw new InvalidArgumentError(error(v));
    return r;
  };

/** A boolean setting as a `--x` / `--no-x` pair: neither given leaves the config's value. */
function boolPair(cmd: Command, flag: string, what: string): void {
  cmd.addOption(new Option(`--${flag}`, what));
  cmd.addOption(new Option(`--no-${flag}`, `not ${what}`).hideHelp());
}

export function addDetectFlags(cmd: Command): Command {
  cmd.addOption(
    new Option(
      "--rule-matching <mode>",
      "first: an event's first matching rule; all: every matching rule",
    ).argParser(
      parse(
        (v) => ((RULE_MATCHING as readonly string[]).includes(v) ? (v as "first" | "all") : undefined),
        ruleMatchingError,
      ),
    ),
  );
  cmd.addOption(
    new Option("--priority <level>", "load only rules at least this severe (emergency … debug)").argParser(
      parse(readPriority, priorityError),
    ),
  );
  boolPair(cmd, "time-format-iso-8601", "ISO 8601 (UTC) time in the alert output");
  boolPair(cmd, "json-include-output-property", "alerts carry `output` (default; --no-… drops it)");
  boolPair(cmd, "json-include-tags-property", "alerts carry `tags` (default; --no-… drops it)");
  boolPair(cmd, "buffered-outputs", "write alerts in chunks instead of one by one");
  cmd.addOption(
    engineVersionOption(
      `check rules as this Falco release does (required_engine_version, deprecation warnings): ${FALCO_RELEASES.join(", ")}`,
    ),
  );
  return cmd;
}

/** `--engine-version <release>`: a supported Falco release (0.42, or a patch release such as 0.42.1). */
export function engineVersionOption(what: string): Option {
  return new Option("--engine-version <release>", what).argParser(parse(parseFalcoRelease, releaseError));
}

/** The flags over the config's `falco` section (already validated). */
export function detectSettings(falco: Config["falco"], flags: DetectFlags): FalcoSettings {
  return {
    ruleMatching: flags.ruleMatching ?? falco.rule_matching,
    minPriority: flags.priority ?? readPriority(falco.priority)!,
    timeFormatIso8601: flags.timeFormatIso8601 ?? falco.time_format_iso_8601,
    jsonIncludeOutputProperty: flags.jsonIncludeOutputProperty ?? falco.json_include_output_property,
    jsonIncludeTagsProperty: flags.jsonIncludeTagsProperty ?? falco.json_include_tags_property,
    bufferedOutputs: flags.bufferedOutputs ?? falco.buffered_outputs,
    release: flags.engineVersion ?? parseFalcoRelease(falco.engine_version)!,
  };
}
