/**
 * Bundles the operator console (ui/) with esbuild: one minified script and one stylesheet with
 * content-hashed names under assets/, and an index.html that loads them (no inline script or
 * style: the server's CSP is `default-src 'self'`). Nothing is fetched at run time.
 *
 *   tsx ui/build.ts                    writes dist/ui/ (npm's postbuild, after `npm run build`'s tsc)
 *                                      and prints the sizes
 *   buildUi()                          the same files in memory (src/console/assets.ts, from source)
 */

import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import type { UiFiles } from "../src/console/assets.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "dist", "ui");

/** A shield in the console's header colour (served, so the browser asks nothing else). */
const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><path d="M8 1 2 3.5v4C2 11 4.6 14 8 15c3.4-1 6-4 6-7.5v-4z" fill="#1f2933"/><path d="m5 8 2 2 4-4" stroke="#fff" stroke-width="1.6" fill="none"/></svg>\n`;

function indexHtml(script: string, style: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>falco-talon console</title>
<link rel="icon" href="/ui/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/ui/${style}">
<script type="module" src="/ui/${script}"></script>
</head>
<body>
<div id="app"><noscript>The falco-talon console needs JavaScript.</noscript></div>
</body>
</html>
`;
}

export async function buildUi(): Promise<UiFiles> {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { app: "ui/main.tsx" },
    bundle: true,
    minify: true,
    format: "esm",
    target: ["chrome111", "firefox113", "safari16.4"],
    jsx: "automatic",
    jsxImportSource: "preact",
    tsconfig: "ui/tsconfig.json",
    entryNames: "assets/[name]-[hash]",
    assetNames: "assets/[name]-[hash]",
    outdir: OUT,
    write: false,
    legalComments: "none",
    logLevel: "silent",
  });
  const files: UiFiles = new Map();
  let script = "";
  let style = "";
  for (const out of result.outputFiles) {
    const name = relative(OUT, out.path).split("\\").join("/");
    files.set(name, Buffer.from(out.contents));
    if (name.endsWith(".js")) script = name;
    if (name.endsWith(".css")) style = name;
  }
  if (!script || !style) throw new Error("the UI build made no script or no stylesheet");
  files.set("index.html", Buffer.from(indexHtml(script, style)));
  files.set("favicon.svg", Buffer.from(FAVICON));
  return files;
}

/** Bytes and gzip bytes of each file, for the README's bundle size. */
function sizes(files: UiFiles): string[] {
  return [...files].map(([name, body]) => {
    const gz = gzipSync(body, { level: 9 }).length;
    return `${name}: ${(body.length / 1024).toFixed(1)} KiB, ${(gz / 1024).toFixed(1)} KiB gzip`;
  });
}

async function main(): Promise<void> {
  const files = await buildUi();
  await rm(OUT, { recursive: true, force: true });
  for (const [name, body] of files) {
    const path = join(OUT, name);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, body);
  }
  for (const line of sizes(files)) console.log(`dist/ui/${line}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
