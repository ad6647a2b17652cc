// The Falco releases whose rule loading this engine can reproduce: the engine version each one
// reports to `required_engine_version`, its condition language, and the deprecation warnings it prints.
import type { FalcoProblem } from "./definitions.js";
import { CURRENT_LANGUAGE, type Language } from "./parser.js";
import {
  DEPRECATED_FIELDS,
  deprecatedInOutputText,
  EVT_DIR_DESCRIPTION,
  LATENCY_DESCRIPTION,
} from "./warnings.js";

/** Falco release → its FALCO_ENGINE_VERSION (userspace/engine/falco_engine_version.h at the tag). */
const ENGINE_VERSIONS = {
  "0.37": "0.31.0",
  "0.38": "0.40.0",
  "0.39": "0.43.0",
  "0.40": "0.46.0",
  "0.41": "0.50.0",
  "0.42": "0.57.0",
  "0.43": "0.58.0",
  "0.44": "0.62.0",
} as const;

export type FalcoRelease = keyof typeof ENGINE_VERSIONS;
export const FALCO_RELEASES = Object.keys(ENGINE_VERSIONS) as FalcoRelease[];
/** The release whose language and fields this engine implements (oneof, join, concat, getopt are 0.44's). */
export const DEFAULT_RELEASE: FalcoRelease = "0.44";

/** `0.42` or a patch release such as `0.42.1` (patches of a release share its engine version). */
export function parseFalcoRelease(text: string): FalcoRelease | undefined {
  const m = /^(0\.\d+)(?:\.\d+)?$/.exec(text.trim());
  const minor = m?.[1];
  return minor !== undefined && Object.hasOwn(ENGINE_VERSIONS, minor) ? (minor as FalcoRelease) : undefined;
}

export function releaseError(text: string): string {
  return `unsupported Falco release '${text}': supported releases are ${FALCO_RELEASES.join(", ")} (a patch release such as 0.42.1 counts as its release)`;
}

export function engineVersionOf(release: FalcoRelease): string {
  return ENGINE_VERSIONS[release];
}

const atLeast = (release: FalcoRelease, min: FalcoRelease) =>
  FALCO_RELEASES.indexOf(release) >= FALCO_RELEASES.indexOf(min);

/** What Falco 0.42 says about `evt.dir` in a condition (the deprecated field's description). */
export const EVT_DIR_CONDITION_WARNING = EVT_DIR_DESCRIPTION;
const EVT_DIR_OUTPUT_WARNING = deprecatedInOutputText("evt.dir");
const EVT_DIR_CONDITION_LOADER_TEXT =
  "usage of deprecated field 'evt.dir' has been detected in the rule condition";
/** The evt.latency family and evt.wait_latency: deprecated from 0.43, in conditions and outputs. */
const LATENCY_TEXTS: ReadonlySet<string> = new Set([
  LATENCY_DESCRIPTION,
  ...DEPRECATED_FIELDS.filter((f) => f !== "evt.dir").map(deprecatedInOutputText),
]);

/**
 * The loader's problems as `release` reports them. Every release from 0.37 warns about the
 * deprecated `append: true` and standalone `enabled`; 0.42 added the deprecated field `evt.dir`
 * (in a condition its message is the field's description), 0.43 the evt.latency fields and
 * evt.wait_latency.
 */
export function problemsAsRelease(problems: FalcoProblem[], release: FalcoRelease): FalcoProblem[] {
  const out: FalcoProblem[] = [];
  for (const p of problems) {
    if (p.severity === "warning" && p.code === "LOAD_DEPRECATED_ITEM") {
      if (p.message === EVT_DIR_CONDITION_LOADER_TEXT || p.message === EVT_DIR_CONDITION_WARNING) {
        if (atLeast(release, "0.42")) out.push({ ...p, message: EVT_DIR_CONDITION_WARNING });
        continue;
      }
      if (p.message === EVT_DIR_OUTPUT_WARNING && !atLeast(release, "0.42")) continue;
      if (LATENCY_TEXTS.has(p.message) && !atLeast(release, "0.43")) continue;
    }
    out.push(p);
  }
  return out;
}

/**
 * The condition language `release` parses (its libsinsp's parser): 0.37 has no transformers;
 * val(), tolower, toupper and b64 came with 0.38, basename with 0.39, len with 0.40; join, concat,
 * getopt and the oneof/anyof/allof modifiers with 0.44.
 */
export function languageOf(release: FalcoRelease): Language {
  if (atLeast(release, "0.44")) return CURRENT_LANGUAGE;
  const transformers = atLeast(release, "0.40")
    ? ["tolower", "toupper", "b64", "basename", "len"]
    : atLeast(release, "0.39")
      ? ["tolower", "toupper", "b64", "basename"]
      : atLeast(release, "0.38")
        ? ["tolower", "toupper", "b64"]
        : [];
  return { transformers, val: atLeast(release, "0.38"), multivalue: false, modifiers: false };
}
