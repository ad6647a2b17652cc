#!/usr/bin/env node
// The package registry reachable here serves only linux-x64 builds of Biome, so `npm install`
// writes a lockfile without Biome's other-platform optional packages and `npm ci` then refuses
// it ("Missing: @biomejs/cli-… from lock file"). This adds those entries back (os/cpu-gated, so
// npm skips them on other machines). Run after any `npm install` that rewrites the lockfile.
import { readFileSync, writeFileSync } from "node:fs";

const path = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(path, "utf8"));
const biome = lock.packages["node_modules/@biomejs/biome"];
let added = 0;
for (const [name, version] of Object.entries(biome?.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  if (lock.packages[key]) continue;
  const [, osName, cpu, libc] = /cli-([a-z0-9]+)-([a-z0-9]+)(?:-(musl))?$/.exec(name) ?? [];
  lock.packages[key] = {
    version,
    cpu: [cpu],
    dev: true,
    license: "MIT OR Apache-2.0",
    optional: true,
    os: [osName],
    ...(libc ? { libc: [libc] } : {}),
    engines: { node: ">=14.21.3" },
  };
  added++;
}
const sorted = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) =>
    a === "" ? -1 : b === "" ? 1 : a < b ? -1 : a > b ? 1 : 0,
  ),
);
lock.packages = sorted;
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${added} platform entries`);
