/**
 * Object keys for artifacts stored by outputs (Talon's `BuildObjectKey`).
 * Unlike Talon, the timestamp really is UTC, matching its literal `Z`.
 */
import type { Artifact } from "../plugins/types.js";

/** `2006-01-02T15-04-05Z` in UTC. */
export function formatKeyTimestamp(now: Date): string {
  return now
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z")
    .replaceAll(":", "-");
}

/**
 * `<ts>_<ns>_<pod>_<name>` when both namespace and pod are known, else `<ts>_<hostname>_<name>`,
 * else `<ts>_` + every object value except `file` (sorted by key, each followed by `_`) + name.
 * `/` in the artifact name becomes `_` (so `/etc/passwd` gives `..._etc_passwd`).
 */
export function buildObjectKey(artifact: Pick<Artifact, "name" | "objects">, now: Date): string {
  const ts = formatKeyTimestamp(now);
  const name = artifact.name.replaceAll("/", "_");
  const objects = artifact.objects;
  const namespace = objects["namespace"] ?? "";
  const pod = objects["pod"] ?? "";
  if (namespace !== "" && pod !== "") return `${ts}_${namespace}_${pod}_${name}`;
  const hostname = objects["hostname"] ?? "";
  if (hostname !== "") return `${ts}_${hostname}_${name}`;
  const values = Object.keys(objects)
    .filter((k) => k !== "file")
    .sort()
    .map((k) => `${objects[k]}_`)
    .join("");
  return `${ts}_${values}${name}`;
}

/** MIME type by artifact name, so stored captures open with the right tool. */
export function contentTypeFor(name: string): string {
  const base = name.toLowerCase().split("/").pop() ?? "";
  if (/\.(pcap|pcapng|cap)$/.test(base)) return "application/vnd.tcpdump.pcap";
  if (/\.(tar\.gz|tgz|gz)$/.test(base)) return "application/gzip";
  if (/\.tar$/.test(base)) return "application/x-tar";
  if (/\.zip$/.test(base)) return "application/zip";
  if (/\.scap$/.test(base)) return "application/octet-stream";
  if (/\.json$/.test(base)) return "application/json";
  if (base === "log" || /\.(log|txt)$/.test(base)) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}
