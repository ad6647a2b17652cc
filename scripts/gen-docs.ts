/** Writes docs/ from the plug-ins' code (see src/cli/docs.ts). */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { generateDocs } from "../src/cli/docs.js";

const root = resolve(import.meta.dirname, "../docs/reference");
rmSync(root, { recursive: true, force: true });
for (const [file, text] of generateDocs()) {
  const path = join(root, file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}
console.log(`wrote ${generateDocs().size} pages under docs/reference`);
