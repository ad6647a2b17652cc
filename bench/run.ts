/**
 * `npm run bench`: prints
 *   1. intake events/s and latency percentiles under load (autocannon against the real
 *      server process, keep-alive, loopback);
 *   2. match cost per event with 1,000 Talon rules;
 *   3. audit events/s through Falco's official k8s_audit_rules.yaml (bench/falco.ts).
 * Figures only; nothing is asserted. Usage: tsx bench/run.ts [seconds]
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import autocannon from "autocannon";
import { decodeEvent } from "../src/events/decode.js";
import { loadRulesFromSources, matchingRules } from "../src/rules/index.js";

const ROOT = resolve(import.meta.dirname, "..");
const seconds = Number(process.argv[2] ?? 8);

const EVENT = JSON.stringify({
  uuid: "f1b2a3c4-0000-4000-8000-000000000000",
  output:
    "12:00:00.123456789: Warning Shell spawned in a container (user=root container_id=abc123 container_name=nginx shell=bash parent=runc cmdline=bash -i terminal=34816 k8s.ns=default k8s.pod=nginx)",
  priority: "Warning",
  rule: "Terminal shell in container",
  time: "2026-11-23T12:00:00.123456789Z",
  source: "syscall",
  hostname: "node-1",
  tags: ["container", "mitre_execution", "shell"],
  output_fields: {
    "container.id": "abc123",
    "container.name": "nginx",
    "evt.time": 1795435200123,
    "k8s.ns.name": "default",
    "k8s.pod.name": "nginx",
    "proc.cmdline": "bash -i",
    "proc.name": "bash",
    "proc.pid": 1234567,
    "user.name": "root",
  },
});

async function intake(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "falco-talon-bench-"));
  // A matching dry-run rule: the full path (decode, dedup off, queue, match, action log) runs per event.
  writeFileSync(
    join(dir, "rules.yaml"),
    `- rule: Shells
  match:
    rules: [Terminal shell in container]
    priority: ">=Warning"
  dry_run: true
  actions:
    - action: Terminate
      actionner: kubernetes:terminate
`,
  );
  writeFileSync(
    join(dir, "config.yaml"),
    `listen_address: 127.0.0.1
listen_port: 0
rules_files: [${join(dir, "rules.yaml")}]
watch_rules: false
log_format: json
log_level: warn
deduplication:
  time_window_seconds: 0
queue:
  capacity: 1000000
`,
  );
  const proc = spawn(
    process.execPath,
    ["--import", "tsx", "src/cli/main.ts", "server", "-c", join(dir, "config.yaml")],
    {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const port = await new Promise<number>((resolvePort, reject) => {
    let buf = "";
    const onData = (c: Buffer) => {
      buf += c.toString();
      const m = /"port":(\d+)/.exec(buf);
      if (m) {
        proc.stdout!.off("data", onData);
        proc.stdout!.resume();
        resolvePort(Number(m[1]));
      }
    };
    proc.stdout!.on("data", onData);
    proc.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
  });
  const run = (duration: number) =>
    autocannon({
      url: `http://127.0.0.1:${port}/`,
      method: "POST",
      body: EVENT,
      headers: { "content-type": "application/json" },
      connections: 50,
      pipelining: 1,
      duration,
    });
  await run(2); // warm-up (JIT)
  const r = await run(seconds);
  proc.kill("SIGTERM");
  const non2xx = r.non2xx + r.errors;
  console.log("## Intake (real server process, POST Falco event, 50 connections, keep-alive)");
  console.log(`events/s        ${Math.round(r.requests.average)}`);
  console.log(`latency p50     ${r.latency.p50} ms`);
  console.log(`latency p99     ${r.latency.p99} ms`);
  console.log(`latency max     ${r.latency.max} ms`);
  console.log(`non-2xx/errors  ${non2xx}`);
}

function matchCost(): void {
  const rules: string[] = [];
  for (let i = 0; i < 1000; i++) {
    rules.push(`- rule: rule ${i}
  match:
    rules: ["Falco rule ${i % 100}", "Terminal shell in container"]
    priority: ">=Notice"
    tags: ["container, shell", "network"]
    output_fields:
      - k8s.ns.name!=kube-system, k8s.ns.name!=ns-${i}
  dry_run: true
  actions:
    - action: a${i}
      actionner: kubernetes:label
      parameters:
        labels:
          x: "y"
`);
  }
  const loaded = loadRulesFromSources([{ file: "bench.yaml", text: rules.join("\n") }]);
  if (!loaded.ruleset) throw new Error(loaded.problems.map((p) => p.message).join("\n"));
  const event = decodeEvent(EVENT);
  const miss = decodeEvent(EVENT.replace("Terminal shell in container", "Unrelated rule"));
  for (let i = 0; i < 200; i++) matchingRules(loaded.ruleset.rules, event);
  const measure = (e: typeof event) => {
    const n = 2000;
    const t0 = performance.now();
    let matched = 0;
    for (let i = 0; i < n; i++) matched = matchingRules(loaded.ruleset!.rules, e).length;
    return { us: ((performance.now() - t0) * 1000) / n, matched };
  };
  const hit = measure(event);
  const none = measure(miss);
  console.log("\n## Match cost, 1,000 Talon rules (rules + priority + tags + output_fields)");
  console.log(`event matching all 1000 rules   ${hit.us.toFixed(1)} µs/event (${hit.matched} matched)`);
  console.log(`event matching no rule          ${none.us.toFixed(1)} µs/event (${none.matched} matched)`);
}

await intake();
matchCost();
console.log("\n## Falco rule engine (k8s_audit)");
spawnSync(process.execPath, ["--import", "tsx", "bench/falco.ts", "3"], { cwd: ROOT, stdio: "inherit" });
