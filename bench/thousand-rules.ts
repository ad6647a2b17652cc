/**
 * What 1,000 rules cost: intake at saturation with them loaded and the server CPU per event they
 * add (both servers, seen from outside the process), and our matcher in process. One rules file,
 * `thousandRules()`, for all three. The events sent name a Falco rule none of the rules selects, so
 * no action runs and neither phase calls the Kubernetes API.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeEvent } from "../src/events/decode.js";
import { loadRulesFromSources, matchingRules } from "../src/rules/index.js";
import { falcoEvent, type IntakeResult, saturate, sendEvents } from "./load.js";
import {
  type BenchServer,
  benchConfig,
  cpuSeconds,
  DEDUP_WINDOW_SECONDS,
  freePort,
  type ServerName,
  startServer,
  waitCpuIdle,
} from "./servers.js";

/** The Falco rule every one of the 1,000 rules also selects: its events match all of them. */
const MATCHES_ALL = "Terminal shell in container";
/** The Falco rule of the events these phases send: none of the rules selects it. */
const MATCHES_NONE = "Bench match";

/** 1,000 Talon rules, each using every match criterion; an event of rule MATCHES_ALL matches all. */
export function thousandRules(): string {
  const rules: string[] = [];
  for (let i = 0; i < 1000; i++) {
    rules.push(`- rule: rule ${i}
  match:
    rules: ["Falco rule ${i % 100}", "${MATCHES_ALL}"]
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
  return rules.join("\n");
}

const ONE_RULE = `- rule: one rule
  match:
    rules: ["Never sent"]
  dry_run: true
  actions:
    - action: a
      actionner: kubernetes:label
      parameters:
        labels:
          x: "y"
`;

/** Which server to start and with what; `kubeconfig` because Talon exits at start without one. */
export interface ServerUnderTest {
  name: ServerName;
  talonBinary?: string;
  oursEntry: string;
  kubeconfig: string;
}

/**
 * Starts one server per rules text (each in a network namespace of its own when `isolated`), runs
 * `use`, stops them; their logs are kept only when something failed.
 */
async function withServers<T>(
  who: ServerUnderTest,
  ruleSets: string[],
  isolated: boolean,
  use: (servers: BenchServer[]) => Promise<T>,
): Promise<T> {
  const started: { server: BenchServer; dir: string }[] = [];
  try {
    for (const rules of ruleSets) {
      const dir = mkdtempSync(join(tmpdir(), `falco-talon-bench-rules-${who.name}-`));
      writeFileSync(join(dir, "rules.yaml"), rules);
      const port = await freePort();
      writeFileSync(
        join(dir, "config.yaml"),
        benchConfig({ port, rulesFile: join(dir, "rules.yaml"), kubeconfig: who.kubeconfig }),
      );
      const server = await startServer({
        name: who.name,
        ...(who.talonBinary ? { talonBinary: who.talonBinary } : {}),
        oursEntry: who.oursEntry,
        configFile: join(dir, "config.yaml"),
        port,
        logFile: join(dir, "server.log"),
        ...(isolated ? { isolated: { socketPath: join(dir, "http.sock") } } : {}),
      });
      started.push({ server, dir });
    }
    const result = await use(started.map((s) => s.server));
    for (const { server, dir } of started) {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    return result;
  } finally {
    for (const { server } of started) await server.stop();
  }
}

/** Intake at saturation (as `saturate`) with the 1,000 rules loaded; no event matches one. */
export function intakeWithThousandRules(who: ServerUnderTest, seconds: number): Promise<IntakeResult> {
  return withServers(who, [thousandRules()], false, async ([server]) => {
    const result = await saturate(server!.url, MATCHES_NONE, seconds);
    await waitCpuIdle(server!.pid);
    return result;
  });
}

export interface Spread {
  median: number;
  min: number;
  max: number;
  /** First and third quartiles. */
  q1: number;
  q3: number;
}

function quantile(sorted: number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.min(sorted.length - 1, low + 1);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (at - low);
}

export function spreadOf(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: quantile(sorted, 0.5),
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    q1: quantile(sorted, 0.25),
    q3: quantile(sorted, 0.75),
  };
}

export interface MatchCost {
  /** Per round: server CPU per event with 1,000 rules minus with 1 rule, µs; the figure is its median. */
  perRoundUs: number[];
  spread: Spread;
  /** Server CPU per event with each rule set, µs, one value per round. */
  oneRuleUs: number[];
  thousandRulesUs: number[];
  events: number;
  rounds: number;
  /** Whether each server ran in a network namespace of its own (netns.ts). */
  isolated: boolean;
}

/**
 * Match cost seen from outside the process, so it applies to Talon as well: the server's CPU time
 * (/proc/<pid>/stat) per event for events matching none of 1,000 rules, minus the same with 1 rule.
 *
 * Measured one after the other, the two CPU totals move with the machine's load by far more than
 * their difference (±15 % of ~250 µs for Talon, whose match cost is a few µs). So a server with 1
 * rule and one with 1,000 run at the same time and get the same events at the same time, and the
 * load weighs on both alike; `rounds` such batches of `events` events each, and the figure is the
 * median of the per-round differences. Two Talons at once need a network namespace each (`isolated`).
 *
 * Each round's count starts once the previous work is done and ends once the round's work is done,
 * deduplication window included: both servers do work for each event when its window ends (Talon
 * expires its JetStream message), and a count that caught only part of it would swing with timing.
 */
export async function matchCostBlackBox(
  who: ServerUnderTest,
  opts: { events: number; rounds: number; isolated: boolean },
): Promise<MatchCost> {
  return withServers(who, [ONE_RULE, thousandRules()], opts.isolated, async (servers) => {
    let seq = 0;
    const sendToBoth = async (amount: number) => {
      const failed = await Promise.all(servers.map((s) => sendEvents(s, MATCHES_NONE, amount, seq)));
      seq += amount;
      if (failed.some((f) => f > 0)) throw new Error(`${failed.join(" and ")} of ${amount} POSTs failed`);
    };
    const settle = async () => {
      await new Promise((r) => setTimeout(r, (DEDUP_WINDOW_SECONDS + 1) * 1000));
      for (const s of servers) await waitCpuIdle(s.pid);
    };
    // A first, unmeasured round warms both up (JIT, connection set-up, heap sizing): the first
    // thousands of events cost much more per event than the later ones.
    await sendToBoth(opts.events);
    await settle();
    const oneRuleUs: number[] = [];
    const thousandRulesUs: number[] = [];
    for (let i = 0; i < opts.rounds; i++) {
      const before = servers.map((s) => cpuSeconds(s.pid));
      await sendToBoth(opts.events);
      await settle();
      const [one, thousand] = servers.map((s, j) => ((cpuSeconds(s.pid) - before[j]!) / opts.events) * 1e6);
      oneRuleUs.push(one!);
      thousandRulesUs.push(thousand!);
      console.log(
        `[${who.name}] match cost round ${i + 1}/${opts.rounds}: ${thousand!.toFixed(1)} µs/event with 1,000 rules, ${one!.toFixed(1)} with 1 rule`,
      );
    }
    // Rounded to 0.01 µs, below the tick of the CPU counts (10 ms / events), so 0 prints as 0.
    const perRoundUs = thousandRulesUs.map((t, i) => Math.round((t - oneRuleUs[i]!) * 100) / 100 || 0);
    return {
      perRoundUs,
      spread: spreadOf(perRoundUs),
      oneRuleUs,
      thousandRulesUs,
      events: opts.events,
      rounds: opts.rounds,
      isolated: opts.isolated,
    };
  });
}

/** Ours in process: `matchingRules` over the 1,000 rules, for an event matching all and one matching none. */
export function matchCostInProcess(): { hitUs: number; missUs: number } {
  const loaded = loadRulesFromSources([{ file: "bench.yaml", text: thousandRules() }]);
  if (!loaded.ruleset) throw new Error(loaded.problems.map((p) => p.message).join("\n"));
  const ruleset = loaded.ruleset;
  const event = decodeEvent(falcoEvent(MATCHES_ALL, "default", "nginx", 0));
  const miss = decodeEvent(falcoEvent("Unrelated rule", "default", "nginx", 0));
  for (let i = 0; i < 200; i++) matchingRules(ruleset.rules, event);
  const measure = (e: typeof event, expected: number) => {
    const n = 2000;
    const t0 = performance.now();
    let matched = 0;
    for (let i = 0; i < n; i++) matched = matchingRules(ruleset.rules, e).length;
    if (matched !== expected) throw new Error(`expected ${expected} matches, got ${matched}`);
    return ((performance.now() - t0) * 1000) / n;
  };
  return { hitUs: measure(event, 1000), missUs: measure(miss, 0) };
}
