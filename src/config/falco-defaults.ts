/**
 * The configuration's `falco` section when nothing sets it, without loading the configuration's
 * schemas: `falco-talon detect` with no config file starts from these. A unit test holds them equal
 * to the schema's defaults, which stay the source of truth.
 */
import { DEFAULT_RELEASE } from "../falco/releases.js";
import { envName } from "./peek.js";
import type { Config } from "./schema.js";

export const FALCO_SECTION_DEFAULTS: Readonly<Config["falco"]> = Object.freeze({
  rules_files: [],
  hostname: "",
  rule_matching: "first",
  priority: "debug",
  time_format_iso_8601: false,
  json_include_output_property: true,
  json_include_tags_property: true,
  buffered_outputs: false,
  engine_version: DEFAULT_RELEASE,
});

/** The variables of the section's keys, named as the loader names every key's. */
const SECTION_VARIABLES = Object.keys(FALCO_SECTION_DEFAULTS).map((k) => envName(["falco", k]));

/** Whether the environment sets a key of the `falco` section (an empty variable counts as unset). */
export function envSetsFalcoSection(env: NodeJS.ProcessEnv): boolean {
  return SECTION_VARIABLES.some((name) => !!env[name]);
}
