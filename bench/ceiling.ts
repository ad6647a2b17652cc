/**
 * What the intake phase can show on this machine at all: autocannon and the server share its
 * cores, so the load generator's own CPU caps every server. bench/bare-server.mjs, the least an
 * intake can do, runs under the same `saturate()` load in one and in two processes, with no work
 * and with a fixed busy loop per request standing for a pipeline's work.
 *
 *   npx tsx bench/ceiling.ts [seconds]     runs this phase alone
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type IntakeResult, saturate } from "./load.js";
import { answersOk, freePort, waitReady } from "./servers.js";

export interface CeilingRun {
  processes: number;
  /** CPU work per request besides reading, parsing and answering, µs (a busy loop). */
  workUs: number;
  intake: IntakeResult;
}

/** The variants measured: no work and 45 µs (under half of our pipeline's ~100 µs beyond the HTTP work), 1 and 2 processes. */
export const CEILING_VARIANTS = [
  { processes: 1, workUs: 0 },
  { processes: 2, workUs: 0 },
  { processes: 1, workUs: 45 },
  { processes: 2, workUs: 45 },
] as const;

async function startBare(processes: number, workUs: number): Promise<{ url: string; proc: ChildProcess }> {
  const port = await freePort();
  const proc = spawn(
    process.execPath,
    [join(import.meta.dirname, "bare-server.mjs"), String(port), String(processes), String(workUs)],
    { stdio: "inherit" },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitReady(proc, "bare-server", () => answersOk(`${url}/healthz`), 30);
  return { url, proc };
}

export async function intakeCeiling(rule: string, seconds: number): Promise<CeilingRun[]> {
  const runs: CeilingRun[] = [];
  for (const { processes, workUs } of CEILING_VARIANTS) {
    const { url, proc } = await startBare(processes, workUs);
    try {
      runs.push({ processes, workUs, intake: await saturate(url, rule, seconds) });
    } finally {
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      await exited;
    }
  }
  return runs;
}

export function describeCeiling(r: CeilingRun): string {
  const what = `${r.processes} process${r.processes > 1 ? "es" : ""}, ${r.workUs} µs of work per request`;
  return `${what}: ${Math.round(r.intake.eventsPerSec)} events/s, p99 ${r.intake.p99Ms} ms`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const seconds = Number(process.argv[2] ?? 10);
  for (const r of await intakeCeiling("Bench intake", seconds)) console.log(describeCeiling(r));
}
