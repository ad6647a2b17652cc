/**
 * Build information shown by `falco-talon version`. A build may stamp it through the
 * FALCO_TALON_GIT_* / FALCO_TALON_BUILD_DATE environment variables; otherwise, when run from
 * a git checkout (tsx or the tsc output inside it), the commit is read from `.git`.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const VERSION = "0.1.0";

/** The `.git` folder of the checkout holding `start` (a `.git` file of a worktree is followed). */
export function findGitDir(start: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    const candidate = join(dir, ".git");
    try {
      const info = statSync(candidate);
      if (info.isDirectory()) return candidate;
      if (info.isFile()) {
        const m = /^gitdir:\s*(.+)$/m.exec(readFileSync(candidate, "utf8"));
        if (m) return resolve(dir, m[1]!.trim());
      }
    } catch {
      // not here; look further up
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The commit HEAD points at, read from the git folder's files (no git binary needed). */
export function readGitCommit(gitDir: string): string | undefined {
  try {
    const head = readFileSync(join(gitDir, "HEAD"), "utf8").trim();
    if (/^[0-9a-f]{40,64}$/.test(head)) return head;
    const ref = /^ref:\s*(.+)$/.exec(head)?.[1]?.trim();
    if (!ref) return undefined;
    // A linked worktree keeps its refs in the common git folder.
    const commonFile = join(gitDir, "commondir");
    const common = existsSync(commonFile) ? resolve(gitDir, readFileSync(commonFile, "utf8").trim()) : gitDir;
    for (const dir of [gitDir, common]) {
      const file = join(dir, ref);
      if (existsSync(file)) {
        const sha = readFileSync(file, "utf8").trim();
        if (/^[0-9a-f]{40,64}$/.test(sha)) return sha;
      }
      const packed = join(dir, "packed-refs");
      if (existsSync(packed)) {
        for (const line of readFileSync(packed, "utf8").split("\n")) {
          const [sha, name] = line.trim().split(/\s+/);
          if (name === ref && sha && /^[0-9a-f]{40,64}$/.test(sha)) return sha;
        }
      }
    }
  } catch {
    // unreadable: unknown
  }
  return undefined;
}

/** `git rev-parse HEAD` in `dir`, as a fallback for layouts the file reading does not cover. */
function gitRevParse(dir: string): string | undefined {
  try {
    const out = execFileSync("git", ["rev-parse", "HEAD"], {
      cwd: dir,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 2000,
    }).trim();
    return /^[0-9a-f]{40,64}$/.test(out) ? out : undefined;
  } catch {
    return undefined;
  }
}

/** The commit of the checkout this module runs from, or undefined outside a checkout. */
export function checkoutCommit(moduleDir = dirname(fileURLToPath(import.meta.url))): string | undefined {
  const gitDir = findGitDir(moduleDir);
  if (!gitDir) return undefined;
  return readGitCommit(gitDir) ?? gitRevParse(dirname(gitDir));
}

export interface BuildInfo {
  GitVersion: string;
  GitCommit: string;
  GitTreeState: string;
  BuildDate: string;
  NodeVersion: string;
  Compiler: string;
  Platform: string;
}

/** Build information; the commit comes from the environment, else from the checkout, else `unknown`. */
export function buildInfo(env: NodeJS.ProcessEnv = process.env): BuildInfo {
  return {
    GitVersion: env.FALCO_TALON_GIT_VERSION || VERSION,
    GitCommit: env.FALCO_TALON_GIT_COMMIT || checkoutCommit() || "unknown",
    GitTreeState: env.FALCO_TALON_GIT_TREE_STATE || "unknown",
    BuildDate: env.FALCO_TALON_BUILD_DATE || "unknown",
    NodeVersion: process.version,
    Compiler: "tsc",
    Platform: `${process.platform}/${process.arch}`,
  };
}

/** Build information as stamped at build time (no checkout lookup; see {@link buildInfo}). */
export const BUILD: BuildInfo = {
  GitVersion: process.env.FALCO_TALON_GIT_VERSION ?? VERSION,
  GitCommit: process.env.FALCO_TALON_GIT_COMMIT ?? "unknown",
  GitTreeState: process.env.FALCO_TALON_GIT_TREE_STATE ?? "unknown",
  BuildDate: process.env.FALCO_TALON_BUILD_DATE ?? "unknown",
  NodeVersion: process.version,
  Compiler: "tsc",
  Platform: `${process.platform}/${process.arch}`,
};
