/**
 * Regenerates the chart's default rules and ClusterRole rules (deploy/helm/falco-talon/values.yaml)
 * and deploy/manifests/falco-talon.yaml (see scripts/deploy/chart.ts).
 *   npm run deploy:gen              write them
 *   npm run deploy:gen -- --check   exit 1 when they differ from what is committed
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, relative } from "node:path";
import { expectedDeployFiles, helmBinary, MANIFESTS_PATH, REPO_ROOT, VALUES_PATH } from "./deploy/chart.js";

const check = process.argv.includes("--check");
const expected = await expectedDeployFiles(helmBinary());
let drift = 0;
for (const [path, text] of [
  [VALUES_PATH, expected.values],
  [MANIFESTS_PATH, expected.manifests],
] as const) {
  const current = existsSync(path) ? readFileSync(path, "utf8") : "";
  if (current === text) continue;
  drift++;
  const name = relative(REPO_ROOT, path);
  if (check) {
    console.error(`${name} is out of date: run npm run deploy:gen`);
  } else {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    console.log(`wrote ${name}`);
  }
}
if (check && drift > 0) process.exit(1);
if (drift === 0) console.log("deploy files are up to date");
