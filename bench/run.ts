/**
 * `npm run bench`: our server and Falco Talon (Go) side by side, same machine, same config,
 * rules and events, Talon's actions on the same real kube-apiserver (scripts/k8s, kwok nodes).
 * Figures, each as ours / Talon's in one run:
 *   1. intake events/s and latency p99 at saturation (autocannon, 50 keep-alive connections), with
 *      the small rule set below and again with 1,000 rules loaded;
 *   2. POST → pod deleted on the API server (p50, p99) at a steady 500 events/s, one pod per event;
 *   3. the same while a 60 s kubernetes:tcpdump capture runs on another pod;
 *   4. match cost with 1,000 rules: server CPU per event matching none of them, minus the same
 *      with 1 rule (black box, both servers: a 1-rule and a 1,000-rule server loaded at the same
 *      time, the median over several rounds, with its spread); ours also in process;
 *   5. memory (VmRSS) at rest and peak under load;
 *   6. ours only: the intake at saturation again while one client streams the operator console
 *      (bench/console.ts; `npx tsx bench/console.ts` runs this phase alone);
 *   7. the intake's ceiling on this machine: a server that only reads, parses and answers, under
 *      the same load, in one and two processes, with and without a fixed work per request
 *      (bench/ceiling.ts; `npx tsx bench/ceiling.ts` runs this phase alone).
 * Then the Falco k8s_audit rule engine (bench/falco.ts). Talon is the binary TALON_BIN names (built by
 * hand outside the project); without it its column is n/a with the reason. Never asserts.
 *
 *   npm run bench                 full run; writes bench/results/<version>/{results.json,chart.svg}
 *   npm run bench -- --quick      short durations, prints only (add --write to keep the files)
 *   options: --skip-k8s (no cluster figures), --skip-talon, --rate N (events/s, default 500),
 *            --tsx (run our server through tsx instead of compiling it with tsc first)
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { type CeilingRun, describeCeiling, intakeCeiling } from "./ceiling.js";
import {
  type BenchCluster,
  createNamespace,
  createPods,
  podNames,
  runEphemeralContainers,
  startCluster,
  watchDeletions,
} from "./cluster.js";
import { intakeWhileStreaming, type StreamingIntake } from "./console.js";
import { falcoEvent, type IntakeResult, saturate, steadyStream } from "./load.js";
import { isolationProblem } from "./netns.js";
import { type Figure, markdownTable, ratio, svgChart } from "./report.js";
import {
  type BenchServer,
  benchConfig,
  compileOurs,
  freePort,
  offlineKubeconfig,
  rssMiB,
  type ServerName,
  sampleRss,
  startServer,
  type TalonBinary,
  talonBinary,
  waitCpuIdle,
} from "./servers.js";
import {
  intakeWithThousandRules,
  type MatchCost,
  matchCostBlackBox,
  matchCostInProcess,
  type ServerUnderTest,
} from "./thousand-rules.js";

const ROOT = resolve(import.meta.dirname, "..");
const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    write: { type: "boolean", default: false },
    "skip-k8s": { type: "boolean", default: false },
    "skip-talon": { type: "boolean", default: false },
    rate: { type: "string", default: "500" },
    tsx: { type: "boolean", default: false },
  },
});
const quick = args.quick === true;
const settings = {
  intakeSeconds: quick ? 3 : 10,
  restSeconds: quick ? 20 : 30,
  rate: Number(args.rate),
  streamSeconds: quick ? 2 : 5,
  /** A rate below the terminate throughput, for the latency without queueing. */
  lowRate: 20,
  lowRateSeconds: quick ? 5 : 10,
  captureSeconds: quick ? 15 : 60,
  /** Black-box match cost: events per round (to each of the two servers), rounds (median taken). */
  matchEvents: quick ? 5000 : 20000,
  matchRounds: quick ? 3 : 9,
};
if (!Number.isInteger(settings.rate) || settings.rate < 1) {
  throw new Error(`--rate must be a positive integer, got '${args.rate}'`);
}
const streamEvents = settings.rate * settings.streamSeconds;

const INTAKE_RULE = "Bench intake";
const TERMINATE_RULE = "Terminal shell in container";
const CAPTURE_RULE = "Suspicious network activity";

function rulesFile(captureDir: string): string {
  return `- rule: Intake (dry run)
  match:
    rules: [${INTAKE_RULE}]
  dry_run: true
  actions:
    - action: Terminate (dry run)
      actionner: kubernetes:terminate
- rule: Terminate
  match:
    rules: [${TERMINATE_RULE}]
  actions:
    - action: Terminate
      actionner: kubernetes:terminate
      parameters:
        grace_period_seconds: 0
- rule: Capture
  match:
    rules: [${CAPTURE_RULE}]
  actions:
    - action: Capture packets
      actionner: kubernetes:tcpdump
      parameters:
        duration: ${settings.captureSeconds}
      output:
        target: local:file
        parameters:
          destination: ${captureDir}
`;
}

interface Latency {
  /** Pods deleted per second, from the first POST to the last deletion. */
  deletedPerSec: number;
  p50Ms: number | null;
  p99Ms: number | null;
  deleted: number;
  events: number;
  failedPosts: number;
  timeoutSeconds: number;
}

interface ServerFigures {
  /** 3 s after the server answered /healthz: the tail of start-up. */
  rssStartMiB: number;
  /** After settings.restSeconds idle since it answered. */
  rssRestMiB: number;
  /** Peak during the intake at saturation alone. */
  rssIntakeMiB: number;
  /** Peak over every phase (intake, terminate streams, capture). */
  rssLoadMiB: number;
  intake: IntakeResult;
  /** Ours only: the same intake while a console client streams every change. */
  intakeConsole?: StreamingIntake;
  terminateLowRate?: Latency;
  terminate?: Latency;
  terminateDuringCapture?: Latency & { captureStarted: boolean };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** POSTs one terminate event per pod at the steady rate; latency = DELETED watch event − POST sent. */
async function terminateStream(
  cluster: BenchCluster,
  server: BenchServer,
  namespace: string,
  pods: string[],
  perSecond: number,
  timeoutSeconds: number,
): Promise<Latency> {
  const watch = await watchDeletions(cluster.kube, namespace);
  try {
    const { sentAt, failed } = await steadyStream({
      url: server.url,
      rule: TERMINATE_RULE,
      namespace,
      pods,
      perSecond,
    });
    const deadline = performance.now() + timeoutSeconds * 1000;
    while (performance.now() < deadline && pods.some((p) => !watch.deletedAt.has(p))) {
      if (watch.error()) throw new Error(`pod watch failed: ${String(watch.error())}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    // A deletion the watch did not report is a fault of the measure, not of the server: say so.
    const unseen = pods.filter((p) => !watch.deletedAt.has(p));
    if (unseen.length > 0) {
      const present = await podNames(cluster.api, namespace);
      const missed = unseen.filter((p) => !present.has(p)).length;
      if (missed > 0)
        console.log(`[bench] ${missed} pods of ${namespace} are gone but their deletion was not seen`);
    }
    // Pods never deleted count as infinitely late, so a percentile they reach is reported as n/a.
    const latencies = pods
      .map((p) => {
        const deleted = watch.deletedAt.get(p);
        return deleted === undefined ? Number.POSITIVE_INFINITY : deleted - sentAt.get(p)!;
      })
      .sort((a, b) => a - b);
    const finite = (v: number) => (Number.isFinite(v) ? v : null);
    const firstSent = Math.min(...sentAt.values());
    const lastDeleted = Math.max(firstSent, ...pods.map((p) => watch.deletedAt.get(p) ?? firstSent));
    const deleted = latencies.filter(Number.isFinite).length;
    return {
      deletedPerSec: deleted / Math.max(0.001, (lastDeleted - firstSent) / 1000),
      p50Ms: finite(percentile(latencies, 50)),
      p99Ms: finite(percentile(latencies, 99)),
      deleted,
      events: pods.length,
      failedPosts: failed,
      timeoutSeconds,
    };
  } finally {
    watch.stop();
  }
}

async function waitQueueDrained(server: BenchServer): Promise<void> {
  if (server.name !== "ours") {
    // Talon exposes no queue depth: its work is done when its CPU goes idle.
    await waitCpuIdle(server.pid);
    return;
  }
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const m = /^falcosecurity_falco_talon_queue_depth(?:\{[^}]*\})? (\S+)$/m.exec(text);
    if (m && Number(m[1]) === 0) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("our queue did not drain within 120 s after the intake run");
}

/**
 * Runs the server phases. Figures land in `sink.figures` as each phase completes, so a server that
 * crashes in a later phase keeps the figures of the earlier ones.
 */
async function benchServer(
  name: ServerName,
  talon: TalonBinary,
  cluster: BenchCluster | undefined,
  oursEntry: string,
  kubeconfig: string,
  sink: { figures?: ServerFigures } = {},
): Promise<ServerFigures> {
  const dir = mkdtempSync(join(tmpdir(), `falco-talon-bench-${name}-`));
  const captureDir = join(dir, "captures");
  mkdirSync(captureDir);
  writeFileSync(join(dir, "rules.yaml"), rulesFile(captureDir));
  const port = await freePort();
  writeFileSync(
    join(dir, "config.yaml"),
    benchConfig({ port, rulesFile: join(dir, "rules.yaml"), kubeconfig }),
  );

  const namespace = `bench-${name}`;
  const lowRatePods = Array.from(
    { length: settings.lowRate * settings.lowRateSeconds },
    (_, i) => `low-rate-${i}`,
  );
  const streamPods = Array.from({ length: streamEvents }, (_, i) => `plain-${i}`);
  const capturePods = Array.from({ length: streamEvents }, (_, i) => `during-capture-${i}`);
  if (cluster) {
    const t0 = Date.now();
    await createNamespace(cluster.kube, namespace);
    await createPods(
      cluster.api,
      namespace,
      ["capture-target", ...lowRatePods, ...streamPods, ...capturePods],
      cluster.nodeName,
    );
    console.log(
      `[${name}] ${lowRatePods.length + 2 * streamEvents + 1} pods Running in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
    );
  }

  const server = await startServer({
    name,
    ...(talon.available ? { talonBinary: talon.binary } : {}),
    oursEntry,
    configFile: join(dir, "config.yaml"),
    port,
    logFile: join(dir, "server.log"),
  });
  console.log(`[${name}] up on ${server.url} (pid ${server.pid}, log ${server.logFile})`);
  let peak: { stop(): number } | undefined;
  try {
    await new Promise((r) => setTimeout(r, 3000));
    const rssStartMiB = rssMiB(server.pid);
    // At rest: idle long enough for start-up's transient memory to go. V8's memory reducer returns
    // ours ~16 s after start (a young generation grown to 16 MiB while loading, then idle).
    await new Promise((r) => setTimeout(r, (settings.restSeconds - 3) * 1000));
    const rssRestMiB = rssMiB(server.pid);
    console.log(
      `[${name}] RSS ${rssStartMiB.toFixed(1)} MiB 3 s after start, ${rssRestMiB.toFixed(1)} MiB after ${settings.restSeconds} s idle`,
    );
    peak = sampleRss(server.pid);
    const intakePeak = sampleRss(server.pid);

    const intake = await saturate(server.url, INTAKE_RULE, settings.intakeSeconds, server.pid);
    const rssIntakeMiB = intakePeak.stop();
    console.log(
      `[${name}] intake ${Math.round(intake.eventsPerSec)} events/s, p99 ${intake.p99Ms} ms, ` +
        `${intake.cpuUsPerEvent?.toFixed(0)} µs of server CPU per event`,
    );
    await waitQueueDrained(server);
    const figures: ServerFigures = { rssStartMiB, rssRestMiB, rssIntakeMiB, rssLoadMiB: 0, intake };
    sink.figures = figures;
    if (name === "ours") {
      figures.intakeConsole = await intakeWhileStreaming(server.url, INTAKE_RULE, settings.intakeSeconds);
      console.log(
        `[${name}] intake, console streaming: ${Math.round(figures.intakeConsole.eventsPerSec)} events/s, ` +
          `p99 ${figures.intakeConsole.p99Ms} ms, ${figures.intakeConsole.streamedMessages} messages streamed`,
      );
      await waitQueueDrained(server);
    }

    if (cluster) {
      figures.terminateLowRate = await terminateStream(
        cluster,
        server,
        namespace,
        lowRatePods,
        settings.lowRate,
        60,
      );
      console.log(
        `[${name}] terminate at ${settings.lowRate}/s: ${JSON.stringify(figures.terminateLowRate)}`,
      );
      figures.terminate = await terminateStream(cluster, server, namespace, streamPods, settings.rate, 180);
      console.log(`[${name}] terminate at ${settings.rate}/s: ${JSON.stringify(figures.terminate)}`);

      const before = cluster.capturesStarted();
      const driver = runEphemeralContainers(
        cluster.kube,
        namespace,
        "capture-target",
        "falco-talon-tcpdump-",
      );
      try {
        const res = await fetch(`${server.url}/`, {
          method: "POST",
          body: falcoEvent(CAPTURE_RULE, namespace, "capture-target", 0),
        });
        if (res.status !== 200) throw new Error(`capture event answered ${res.status}`);
        const deadline = Date.now() + 30_000;
        while (cluster.capturesStarted() === before && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 100));
        }
        const captureStarted = cluster.capturesStarted() > before;
        if (!captureStarted) console.log(`[${name}] the capture did not start within 30 s`);
        const during = await terminateStream(
          cluster,
          server,
          namespace,
          capturePods,
          settings.rate,
          settings.captureSeconds + 180,
        );
        figures.terminateDuringCapture = { ...during, captureStarted };
        console.log(`[${name}] terminate during capture: ${JSON.stringify(figures.terminateDuringCapture)}`);
      } finally {
        driver.stop();
      }
    }
    figures.rssLoadMiB = peak.stop();
    await server.stop();
    // The server log is kept only when the run failed.
    rmSync(dir, { recursive: true, force: true });
    return figures;
  } finally {
    // Also after a crash: the peak so far belongs with the phases that completed.
    const peakMiB = peak?.stop();
    if (sink.figures && peakMiB !== undefined && sink.figures.rssLoadMiB === 0)
      sink.figures.rssLoadMiB = peakMiB;
    await server.stop();
  }
}

function latencyNote(l: Latency | undefined): string | undefined {
  if (!l) return undefined;
  const parts: string[] = [];
  if (l.deleted < l.events)
    parts.push(`${l.events - l.deleted} of ${l.events} pods not deleted within ${l.timeoutSeconds} s`);
  if (l.failedPosts > 0) parts.push(`${l.failedPosts} POSTs failed`);
  return parts.length > 0 ? parts.join("; ") : undefined;
}

function buildFigures(
  ours: ServerFigures,
  talon: ServerFigures | undefined,
  talonReason: string | undefined,
  intakeThousand: { ours: IntakeResult; talon: IntakeResult | null },
  match: { hitUs: number; missUs: number },
  matchCpu: { ours: MatchCost; talon: MatchCost | null },
): Figure[] {
  const na = talonReason ? `Talon: ${talonReason}` : undefined;
  const figures: Figure[] = [
    {
      label: "intake at saturation",
      unit: "events/s",
      better: "higher",
      ours: ours.intake.eventsPerSec,
      talon: talon?.intake.eventsPerSec ?? null,
    },
    {
      label: "intake at saturation: p99",
      unit: "ms",
      better: "lower",
      ours: ours.intake.p99Ms,
      talon: talon?.intake.p99Ms ?? null,
    },
    {
      label: "intake at saturation: server CPU per event",
      unit: "µs/event",
      better: "lower",
      ours: ours.intake.cpuUsPerEvent ?? null,
      talon: talon?.intake.cpuUsPerEvent ?? null,
    },
    {
      label: "intake at saturation, console streaming",
      unit: "events/s",
      better: "higher",
      ours: ours.intakeConsole?.eventsPerSec ?? null,
      talon: null,
      oursOnly: true,
      talonNote: "ours only: Talon has no console; compare with the plain intake figure",
    },
    {
      label: "intake at saturation, 1,000 rules",
      unit: "events/s",
      better: "higher",
      ours: intakeThousand.ours.eventsPerSec,
      talon: intakeThousand.talon?.eventsPerSec ?? null,
    },
    {
      label: "intake at saturation, 1,000 rules: p99",
      unit: "ms",
      better: "lower",
      ours: intakeThousand.ours.p99Ms,
      talon: intakeThousand.talon?.p99Ms ?? null,
    },
  ];
  const lat = (key: "terminateLowRate" | "terminate" | "terminateDuringCapture", label: string) => {
    figures.push({
      label: `${label}: pods deleted/s`,
      unit: "pods/s",
      better: "higher",
      ours: ours[key]?.deletedPerSec ?? null,
      talon: talon?.[key]?.deletedPerSec ?? null,
    });
    for (const p of ["p50Ms", "p99Ms"] as const) {
      figures.push({
        label: `${label}: POST → deleted ${p.slice(0, 3)}`,
        unit: "ms",
        better: "lower",
        ours: ours[key]?.[p] ?? null,
        talon: talon?.[key]?.[p] ?? null,
        ...(latencyNote(ours[key]) ? { oursNote: latencyNote(ours[key])! } : {}),
        ...(talon && latencyNote(talon[key]) ? { talonNote: latencyNote(talon[key])! } : {}),
      });
    }
  };
  if (ours.terminate) {
    lat("terminate", `${settings.rate} events/s`);
    lat("terminateDuringCapture", `${settings.rate} events/s + ${settings.captureSeconds} s capture`);
    lat("terminateLowRate", `${settings.lowRate} events/s`);
  }
  figures.push(
    {
      label: "match cost, 1,000 rules (server CPU/event, median)",
      unit: "µs/event",
      better: "lower",
      ours: matchCpu.ours.spread.median,
      talon: matchCpu.talon?.spread.median ?? null,
      oursRange: matchCpu.ours.spread,
      ...(matchCpu.talon ? { talonRange: matchCpu.talon.spread } : {}),
    },
    {
      label: "match, in process, event matching all 1,000",
      unit: "µs/event",
      better: "lower",
      ours: match.hitUs,
      talon: null,
      oursOnly: true,
      talonNote: "in-process figure (ours only): Talon's matcher cannot be called from outside its process",
    },
    {
      label: "RSS 3 s after start",
      unit: "MiB",
      better: "lower",
      ours: ours.rssStartMiB,
      talon: talon?.rssStartMiB ?? null,
    },
    {
      label: `RSS at rest (${settings.restSeconds} s idle after start)`,
      unit: "MiB",
      better: "lower",
      ours: ours.rssRestMiB,
      talon: talon?.rssRestMiB ?? null,
    },
    {
      label: "RSS peak, intake at saturation",
      unit: "MiB",
      better: "lower",
      ours: ours.rssIntakeMiB,
      talon: talon?.rssIntakeMiB ?? null,
    },
    {
      label: "RSS peak, all phases",
      unit: "MiB",
      better: "lower",
      ours: ours.rssLoadMiB,
      talon: talon?.rssLoadMiB ?? null,
    },
  );
  for (const f of figures) if (f.talon === null && na && !f.talonNote) f.talonNote = na;
  return figures;
}

const version = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version as string;
const started = new Date();
const loadAtStart = loadavg();
console.log(
  `falco-talon ${version} benchmarks (${quick ? "quick" : "full"} run): ${JSON.stringify(settings)}`,
);

const talon: TalonBinary = args["skip-talon"]
  ? { available: false, reason: "skipped (--skip-talon)" }
  : talonBinary();
console.log(talon.available ? `Talon: ${talon.binary}` : `Talon: not available — ${talon.reason}`);

const oursEntry = args.tsx ? join(ROOT, "src/cli/main.ts") : compileOurs();
const cluster = args["skip-k8s"] ? undefined : await startCluster();
// Ctrl-C skips `finally`: stop the cluster's processes here too.
process.once("SIGINT", () => {
  cluster?.down();
  process.exit(130);
});
let ours: ServerFigures;
let talonFigures: ServerFigures | undefined;
let ceiling: CeilingRun[] = [];
/** Why Talon figures are missing: each failed phase, with its reason. */
const talonFailures: string[] = [];
/**
 * A Talon failure in one phase is reported and leaves that phase's figures n/a; the figures of
 * its earlier phases and of the other runs are kept.
 */
const talonRun = async <T>(
  what: string,
  run: (binary: TalonBinary) => Promise<T>,
): Promise<T | undefined> => {
  if (!talon.available) return undefined;
  try {
    return await run(talon);
  } catch (err) {
    const reason = `failed during ${what}: ${String(err).replace(/\s+/g, " ").slice(0, 300)}`;
    console.log(`Talon: ${reason}`);
    talonFailures.push(reason);
    return undefined;
  }
};
/**
 * Talon exits at start without a kubeconfig. Phases that make no API call (the 1,000-rule ones;
 * all of them without a cluster) give both servers one naming an address where nothing listens.
 */
const offlineDir = mkdtempSync(join(tmpdir(), "falco-talon-bench-kube-"));
const offline = offlineKubeconfig(offlineDir);
process.once("exit", () => rmSync(offlineDir, { recursive: true, force: true }));
try {
  const kubeconfig = cluster?.kubeconfigPath ?? offline;
  ours = await benchServer("ours", talon, cluster, oursEntry, kubeconfig);
  const talonSink: { figures?: ServerFigures } = {};
  await talonRun("the server run", (binary) =>
    benchServer("talon", binary, cluster, oursEntry, kubeconfig, talonSink),
  );
  talonFigures = talonSink.figures;
  // Under the same conditions as the two intakes above (the cluster idle, not yet down).
  ceiling = await intakeCeiling(INTAKE_RULE, settings.intakeSeconds);
  for (const r of ceiling) console.log(`[bare server] ${describeCeiling(r)}`);
} finally {
  cluster?.down();
}
// The 1,000-rule phases need no API server, so they run once the cluster is down: less noise.
const oursUnderTest: ServerUnderTest = { name: "ours", oursEntry, kubeconfig: offline };
const talonUnderTest = (binary: TalonBinary): ServerUnderTest => ({
  name: "talon",
  ...(binary.available ? { talonBinary: binary.binary } : {}),
  oursEntry,
  kubeconfig: offline,
});
const logIntake = (name: ServerName, r: IntakeResult) =>
  console.log(`[${name}] intake with 1,000 rules: ${Math.round(r.eventsPerSec)} events/s, p99 ${r.p99Ms} ms`);
const intakeThousand = {
  ours: await intakeWithThousandRules(oursUnderTest, settings.intakeSeconds),
  talon:
    (await talonRun("the 1,000-rule intake run", (binary) =>
      intakeWithThousandRules(talonUnderTest(binary), settings.intakeSeconds),
    )) ?? null,
};
logIntake("ours", intakeThousand.ours);
if (intakeThousand.talon) logIntake("talon", intakeThousand.talon);
// Without network namespaces ours still runs its two servers side by side; two Talons cannot.
const isolation = isolationProblem();
const matchOptions = { events: settings.matchEvents, rounds: settings.matchRounds, isolated: !isolation };
const matchCpu = {
  ours: await matchCostBlackBox(oursUnderTest, matchOptions),
  talon:
    (await talonRun("the match-cost run", (binary) => {
      if (isolation) throw new Error(`two Talons at once need a network namespace each: ${isolation}`);
      return matchCostBlackBox(talonUnderTest(binary), matchOptions);
    })) ?? null,
};
const logMatchCost = (name: ServerName, m: MatchCost) => {
  const f = (v: number) => v.toFixed(1);
  const { median, min, max, q1, q3 } = m.spread;
  console.log(
    `[${name}] match cost, 1,000 rules: ${f(median)} µs/event (median of ${m.rounds} rounds of ${m.events} events; ` +
      `min–max ${f(min)}–${f(max)}, IQR ${f(q1)}–${f(q3)}); per round ${m.perRoundUs.map(f).join(", ")}`,
  );
};
logMatchCost("ours", matchCpu.ours);
if (matchCpu.talon) logMatchCost("talon", matchCpu.talon);
const match = matchCostInProcess();
const talonMissing = talon.available ? talonFailures.join("; ") || undefined : talon.reason;
const figures = buildFigures(ours, talonFigures, talonMissing, intakeThousand, match, matchCpu);
const table = markdownTable(figures);
console.log(`\n${table}\n`);
if (ceiling.length > 0) {
  console.log("intake ceiling on this machine, same load (bench/ceiling.ts):");
  const talonIntake = talonFigures?.intake.eventsPerSec;
  for (const r of ceiling) {
    const vsTalon = talonIntake
      ? `, ${(r.intake.eventsPerSec / talonIntake).toFixed(2)}× Talon's intake`
      : "";
    console.log(`  ${describeCeiling(r)}${vsTalon}`);
  }
}
console.log(`match cost, event matching no rule: ${match.missUs.toFixed(1)} µs/event (ours, 1,000 rules)`);

console.log("\n## Falco rule engine (k8s_audit)");
spawnSync(process.execPath, ["--import", "tsx", "bench/falco.ts", "3", oursEntry], {
  cwd: ROOT,
  stdio: "inherit",
});

if (!quick || args.write) {
  const out = join(ROOT, "bench/results", version);
  mkdirSync(out, { recursive: true });
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    // Other work shares the cores; the 1-minute load average at the start and end of the run.
    loadAverage1m: { start: loadAtStart[0], end: loadavg()[0] },
  };
  const results = {
    version,
    date: started.toISOString(),
    quick,
    settings,
    oursRuntime: args.tsx ? "tsx src/cli/main.ts" : "node (tsc output)",
    machine,
    talon: talon.available
      ? { available: true, ...(talonFailures.length > 0 ? { failures: talonFailures } : {}) }
      : { available: false, reason: talon.reason },
    ours,
    talonFigures: talonFigures ?? null,
    intakeThousandRules: intakeThousand,
    intakeCeiling: ceiling,
    matchCost: { inProcess: match, blackBox: matchCpu, namespacesMissing: isolation ?? null },
    figures: figures.map((f) => ({ ...f, ratio: ratio(f) })),
    table,
  };
  writeFileSync(join(out, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(
    join(out, "chart.svg"),
    svgChart(
      `falco-talon ${version} (TypeScript) vs Falco Talon (Go), one run`,
      `${started.toISOString().slice(0, 16)}Z, ${machine.cpus} shared cores, ${machine.cpuModel}`,
      figures,
    ),
  );
  console.log(`\nwrote ${out}/{results.json,chart.svg}`);
}
