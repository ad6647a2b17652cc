/**
 * The operator console's browser files (index.html, the hashed script and stylesheet), served
 * under `/ui/`. They come from `dist/ui/` (written by `npm run build`, next to the compiled
 * server); when the server runs from the source tree (tsx) and that folder is missing, the UI is
 * bundled in memory once, on the first request, by ui/build.ts with esbuild (a devDependency:
 * the packaged server never loads it).
 *
 * Only files found in that folder at load time are served, looked up by exact name, so no request
 * path can reach anything outside it. A path that is no file is a client-side route (events/<id>,
 * rules, rehearse) and gets index.html, except under `assets/`, where it is a missing file.
 */

import { readdir, readFile, stat } from "node:fs/promises";
import { extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

export interface ConsoleAsset {
  body: Buffer;
  /** The Content-Type header value. */
  type: string;
  /** A content-hashed name: cacheable forever. */
  immutable: boolean;
}

export interface ConsoleAssets {
  /** `path`: what follows `/ui/` ("" for the index). */
  get(path: string): Promise<ConsoleAsset | undefined>;
}

/** What a build produces: file names relative to the UI folder (`/`-separated) and their bytes. */
export type UiFiles = Map<string, Buffer>;

export interface ConsoleAssetsOptions {
  /** The built UI folder; default: `dist/ui` beside the compiled code or the source tree. */
  dir?: string;
  /** Builds the UI when `dir` has no index.html; default: the source tree's build script, from source only. */
  build?: () => Promise<UiFiles>;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

/** Built names carry an 8+ character content hash before the extension (`app-4F2KX7QA.js`). */
const HASHED = /-[A-Z0-9]{8,}\.[a-z0-9]+$/;

const HERE = fileURLToPath(new URL(".", import.meta.url));
const FROM_SOURCE = import.meta.url.endsWith(".ts");

/** dist/src/console/ → dist/ui; src/console/ → dist/ui at the repository root. */
function defaultDir(): string {
  return FROM_SOURCE ? join(HERE, "..", "..", "dist", "ui") : join(HERE, "..", "..", "ui");
}

/** The source tree's build script, loaded by a computed path so the compiled server never follows it. */
async function buildFromSource(): Promise<UiFiles> {
  const script = new URL("../../ui/build.ts", import.meta.url).href;
  const mod = (await import(script)) as { buildUi(): Promise<UiFiles> };
  return mod.buildUi();
}

async function readTree(dir: string): Promise<UiFiles> {
  const files: UiFiles = new Map();
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    files.set(relative(dir, full).split(sep).join("/"), await readFile(full));
  }
  return files;
}

async function hasIndex(dir: string): Promise<boolean> {
  try {
    return (await stat(join(dir, "index.html"))).isFile();
  } catch {
    return false;
  }
}

function toAsset(name: string, body: Buffer): ConsoleAsset {
  return {
    body,
    type: TYPES[extname(name).toLowerCase()] ?? "application/octet-stream",
    immutable: name !== "index.html" && HASHED.test(name),
  };
}

async function load(options: ConsoleAssetsOptions): Promise<Map<string, ConsoleAsset>> {
  const dir = options.dir ?? defaultDir();
  let files: UiFiles | undefined;
  if (await hasIndex(dir)) files = await readTree(dir);
  else if (options.build) files = await options.build();
  else if (FROM_SOURCE && options.dir === undefined) files = await buildFromSource();
  const assets = new Map<string, ConsoleAsset>();
  for (const [name, body] of files ?? []) assets.set(name, toAsset(name, body));
  return assets;
}

/** The request path without query or fragment, and without leading slashes. */
function cleanPath(path: string): string {
  return path.replace(/[?#].*$/s, "").replace(/^\/+/, "");
}

export function consoleAssets(options: ConsoleAssetsOptions = {}): ConsoleAssets {
  let loading: Promise<Map<string, ConsoleAsset>> | undefined;
  return {
    async get(path) {
      loading ??= load(options).catch((err: unknown) => {
        loading = undefined; // a failed in-memory build is tried again on the next request
        throw err;
      });
      const assets = await loading;
      const name = cleanPath(path);
      const hit = name === "" ? undefined : assets.get(name);
      if (hit) return hit;
      if (name.startsWith("assets/")) return undefined;
      return assets.get("index.html");
    },
  };
}
