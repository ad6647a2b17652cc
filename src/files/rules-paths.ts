import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** Rules files in a folder: `*.yaml` and `*.yml`, by name; hidden entries skipped. */
const RULES_FILE_RE = /^[^.].*\.ya?ml$/;

/** True when the path is a folder; false for a file or a path that cannot be read. */
export function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false; // a missing path is reported by the loader as unreadable
  }
}

/**
 * Expands each folder among the rules paths (Talon's and Falco's alike) into its rules files,
 * sorted by name, so a ConfigMap mounted as a folder works whole: the kubelet's `..data` and
 * `..<timestamp>` entries are hidden and skipped, and a file added to the ConfigMap is picked
 * up on reload.
 * Files (and paths that do not exist, so loading reports them) are kept as given.
 */
export function expandRulesPaths(paths: string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    if (!isFolder(path)) {
      files.push(path);
      continue;
    }
    const names = readdirSync(path)
      .filter((name) => RULES_FILE_RE.test(name))
      .filter((name) => {
        try {
          return statSync(join(path, name)).isFile();
        } catch {
          return false;
        }
      })
      .sort();
    for (const name of names) files.push(join(path, name));
  }
  return files;
}
