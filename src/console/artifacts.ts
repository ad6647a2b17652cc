/**
 * Which file a `/ui/api/artifacts/<action_id>/<name>` download may send: only a file that the
 * audit trail (or the live buffer) records as written by a `local:file` output of that action,
 * whose name is the one asked, that is a regular file (not a symlink) directly inside one of
 * the `local:file` destination folders of the rules in force, once every link is resolved.
 */
import { lstat, realpath } from "node:fs/promises";
import { basename, dirname, isAbsolute } from "node:path";

export type ArtifactLookup =
  | { ok: true; path: string; name: string }
  | { ok: false; status: 400 | 404; reason: string };

/** A name as asked: one path segment, no traversal, no control characters. */
export function safeName(name: string): boolean {
  return (
    name !== "" &&
    name !== "." &&
    name !== ".." &&
    name.length <= 255 &&
    !/[/\\\u0000-\u001f]/.test(name) &&
    !name.includes("..")
  );
}

async function real(path: string): Promise<string | undefined> {
  try {
    return await realpath(path);
  } catch {
    return undefined;
  }
}

/**
 * `recorded`: the destination files the trail records for the action's local:file outputs;
 * `folders`: the destination folders of the rules' local:file outputs.
 */
export async function resolveArtifact(
  name: string,
  recorded: readonly string[],
  folders: readonly string[],
): Promise<ArtifactLookup> {
  if (!safeName(name)) return { ok: false, status: 400, reason: "invalid artifact name" };
  const file = recorded.find((f) => isAbsolute(f) && basename(f) === name);
  if (!file) return { ok: false, status: 404, reason: "no local:file artifact of that name for this action" };
  const realFolders = new Set<string>();
  for (const f of folders) {
    const r = await real(f);
    if (r) realFolders.add(r);
  }
  const dir = await real(dirname(file));
  if (!dir || !realFolders.has(dir))
    return { ok: false, status: 404, reason: "the artifact is outside the local:file folders in force" };
  let info: Awaited<ReturnType<typeof lstat>>;
  try {
    info = await lstat(file);
  } catch {
    return { ok: false, status: 404, reason: "the artifact is gone" };
  }
  if (!info.isFile()) return { ok: false, status: 404, reason: "the artifact is not a regular file" };
  const resolved = await real(file);
  if (!resolved || dirname(resolved) !== dir)
    return { ok: false, status: 404, reason: "the artifact is outside the local:file folders in force" };
  return { ok: true, path: resolved, name };
}
