// A rules file's `required_engine_version` and `required_plugin_versions`, checked as Falco does:
// a requirement is met by the same major version at or above the required one.
import { isMap, isSeq, type Node } from "yaml";
import type { Origin, Problems } from "./definitions.js";
import { Item } from "./yamlitem.js";

/** One `required_plugin_versions` entry: any one of the alternatives satisfies it. */
export interface PluginRequirement {
  alternatives: { name: string; version: string }[];
  origin: Origin;
}

function parseSemver(v: string): [number, number, number] | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** Same major and version ≥ required. */
function semverCompatible(have: string, required: string): boolean {
  const h = parseSemver(have);
  const r = parseSemver(required);
  if (!h || !r || h[0] !== r[0]) return false;
  for (let i = 1; i < 3; i++) if (h[i]! !== r[i]!) return h[i]! > r[i]!;
  return true;
}

/** Fails the item when the engine is older than required (a bare number N means 0.N.0). */
export function readEngineVersion(item: Item, engineVersion: string): void {
  const v = item.scalarText("required_engine_version", true)!;
  const req = /^\d+$/.test(v) ? `0.${v}.0` : v;
  if (!parseSemver(req)) {
    item.fail(
      "LOAD_ERR_YAML_VALIDATE",
      `Unable to parse engine version '${v}' as a semver string. Expected "x.y.z" semver format.`,
    );
  }
  if (!semverCompatible(engineVersion, req)) {
    item.fail(
      "LOAD_ERR_VALIDATE",
      `Rules require engine version ${req}, but engine version is ${engineVersion}`,
    );
  }
}

/**
 * Reads `required_plugin_versions` into `into`; they are checked once every file is loaded.
 * Each entry is decoded (YAML shapes: LOAD_ERR_YAML_VALIDATE) and then its versions validated
 * (LOAD_ERR_VALIDATE), as Falco's reader and collector do.
 */
export function readPluginVersions(item: Item, file: string, into: PluginRequirement[]): void {
  const seq = item.node("required_plugin_versions");
  if (!isSeq(seq))
    item.fail(
      "LOAD_ERR_YAML_VALIDATE",
      "Value of required_plugin_versions must be a sequence",
      item.loc(seq),
    );
  for (const el of seq.items as Node[]) {
    if (!isMap(el)) item.fail("LOAD_ERR_YAML_VALIDATE", "Plugin version must be a mapping", item.loc(el));
    const sub: Item = new Item(el, item.lc);
    const name = sub.scalarText("name", true)!;
    const version = sub.scalarText("version", true)!;
    const alts = [{ name, version }];
    const altNode = sub.node("alternatives");
    if (sub.has("alternatives")) {
      if (!isSeq(altNode))
        sub.fail("LOAD_ERR_YAML_VALIDATE", "Value of plugin version alternatives must be a sequence");
      for (const a of altNode.items as Node[]) {
        if (!isMap(a))
          sub.fail("LOAD_ERR_YAML_VALIDATE", "Plugin version alternative must be a mapping", sub.loc(a));
        const ai: Item = new Item(a, item.lc);
        alts.push({ name: ai.scalarText("name", true)!, version: ai.scalarText("version", true)! });
      }
    }
    const seen = new Set<string>();
    for (const a of alts) {
      if (!parseSemver(a.version))
        sub.fail("LOAD_ERR_VALIDATE", `Invalid required version '${a.version}' for plugin '${a.name}'`);
      if (seen.has(a.name))
        sub.fail(
          "LOAD_ERR_VALIDATE",
          `Defined multiple alternative version requirements for plugin '${a.name}'`,
        );
      seen.add(a.name);
    }
    into.push({ alternatives: alts, origin: { file, loc: sub.loc() } });
  }
}

/** Reports the first requirement that none of the available plugins meets. */
export function checkPluginRequirements(
  reqs: PluginRequirement[],
  plugins: Record<string, string>,
  problems: Problems,
): void {
  for (const req of reqs) {
    const ok = req.alternatives.some((a) => {
      const have = plugins[a.name];
      return have !== undefined && semverCompatible(have, a.version);
    });
    if (ok) continue;
    const first = req.alternatives[0]!;
    const have = plugins[first.name];
    const msg =
      req.alternatives.length === 1 && have !== undefined
        ? `Plugin '${first.name}' version '${have}' is not compatible with required plugin version '${first.version}'`
        : `Plugin requirement not satisfied, must load one of: ${req.alternatives
            .map((a) => `${a.name} (>= ${a.version})`)
            .join(", ")}`;
    problems.error("LOAD_ERR_VALIDATE", msg, req.origin);
    return;
  }
}
