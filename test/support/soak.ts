/**
 * The no-loss soak: N events through 3 `falco-talon server` processes sharing a 3-node NATS
 * JetStream cluster, with one replica and the stream's leader node killed (-9) mid-burst and
 * both restarted. Used by test/nats/soak.test.ts (2,000 events) and `npm run soak` (10,000).
 *
 * Each event's action is `aws:lambda` against a Lambda-API endpoint in this process that
 * records the invocation. The action awaits that call, so an event is recorded before its
 * handler finishes, hence before its KV "done" mark and its ack: a recorded invocation is
 * exactly "acted on". (Logs or notifications would not do: both are written asynchronously
 * and a kill -9 can drop them after the ack.)
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { startNatsCluster } from "./nats.js";
import { type ServerProcess, startServerProcess } from "./server.js";

export interface SoakOptions {
  events: number;
  /** Concurrent HTTP clients. */
  concurrency?: number;
  log?: (line: string) => void;
}

export interface SoakResult {
  events: number;
  /** Events answered 200 (possibly after client retries). */
  accepted: number;
  /** Events never answered 200 after every retry. */
  rejected: number;
  /** Distinct events acted on (the action ran at least once). */
  acted: number;
  /** Accepted events never acted on: must be 0. */
  lost: number;
  /** Events acted on more than once (at-least-once re-runs after the kill). */
  actedMoreThanOnce: number;
  /** Rejected events that were acted on anyway (stored, but the answer never reached the client). */
  rejectedButActed: number;
  /** HTTP attempts that failed and were retried (connection reset by the kill, 5xx). */
  retries: number;
  /** Pushes JetStream dropped as duplicates plus redeliveries skipped by the KV done mark. */
  duplicatesSuppressed: number;
  /** Redelivered events skipped because the KV said they were done. */
  skippedAsDone: number;
  seconds: number;
}

const STREAM = "SOAK";

/** A Lambda API endpoint (STS identity, GetFunction, Invoke) that records each invocation's event. */
async function startActionRecorder(): Promise<{ url: string; acted: Map<string, number>; server: Server }> {
  const acted = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const path = new URL(req.url ?? "/", "http://x").pathname;
      if (req.method === "POST" && path === "/" && body.includes("GetCallerIdentity")) {
        res.writeHead(200, { "Content-Type": "text/xml" });
        res.end(
          '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>' +
            "<Arn>arn:aws:iam::123456789012:user/soak</Arn><UserId>AIDA</UserId><Account>123456789012</Account>" +
            "</GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
        );
      } else if (req.method === "GET" && path === "/2015-03-31/functions/recorder") {
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ Configuration: { FunctionName: "recorder", Version: "$LATEST" } }));
      } else if (req.method === "POST" && path === "/2015-03-31/functions/recorder/invocations") {
        const output = String((JSON.parse(body) as { output?: unknown }).output);
        acted.set(output, (acted.get(output) ?? 0) + 1);
        res.writeHead(200, { "Content-Type": "application/json", "X-Amz-Executed-Version": "1" });
        res.end('{"recorded":true}');
      } else {
        res.writeHead(404, {
          "Content-Type": "application/json",
          "x-amzn-ErrorType": "ResourceNotFoundException",
        });
        res.end('{"message":"not found"}');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, acted, server };
}

const RULES = `- action: Record
  actionner: aws:lambda
  parameters:
    aws_lambda_name: recorder

- rule: Soak
  match:
    rules:
      - Soak event
  actions:
    - action: Record
`;

function configText(natsUrl: string, awsEndpoint: string): string {
  return `listen_address: 127.0.0.1
rules_files:
  - $DIR/rules.yaml
watch_rules: false
log_format: json
log_level: debug
deduplication:
  time_window_seconds: 120
queue:
  shutdown_timeout_seconds: 5
  nats:
    url: "${natsUrl}"
    stream: ${STREAM}
    partitions: 8
    replicas: 3
    ack_wait_seconds: 3
aws:
  endpoint: "${awsEndpoint}"
  region: eu-west-1
  access_key: AKIDSOAK
  secret_key: soak-secret
`;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function eventBody(i: number): string {
  return JSON.stringify({
    output: `soak event ${i}`,
    priority: "Warning",
    rule: "Soak event",
    hostname: "soak-host",
    time: new Date().toISOString(),
    output_fields: { "k8s.pod.name": `pod-${i % 50}`, "k8s.ns.name": "soak", seq: i },
  });
}

/** The node leading the stream: killing it forces a leader election mid-burst. */
async function streamLeader(url: string): Promise<string | undefined> {
  const nc = await connect({ servers: url.split(",") });
  try {
    const jsm = await jetstreamManager(nc);
    return (await jsm.streams.info(STREAM)).cluster?.leader;
  } finally {
    await nc.close();
  }
}

export async function runSoak(opts: SoakOptions): Promise<SoakResult> {
  const log = opts.log ?? (() => {});
  const concurrency = opts.concurrency ?? 32;
  const started = Date.now();
  const nats = await startNatsCluster(3);
  const recorder = await startActionRecorder();
  const config = configText(nats.url, recorder.url);
  const replicas: ServerProcess[] = [];
  const allReplicas: ServerProcess[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const r = await startServerProcess({ config, rules: { "rules.yaml": RULES } });
      replicas.push(r);
      allReplicas.push(r);
    }
    log(`3 replicas up on NATS ${nats.url}`);

    const accepted = new Set<number>();
    const rejected = new Set<number>();
    let retries = 0;
    let next = 0;
    let sent = 0;
    let rr = 0;

    const chaos = (async () => {
      while (sent < opts.events * 0.3) await sleep(5);
      const leader = await streamLeader(nats.url).catch(() => undefined);
      const node = nats.nodes.find((n) => n.name === leader) ?? nats.nodes[1]!;
      const victim = replicas[1]!;
      log(
        `kill -9 replica 2 (${victim.url}) and NATS node ${node.name} (stream leader: ${leader}) after ${sent} events`,
      );
      await Promise.all([victim.stop("SIGKILL"), node.kill("SIGKILL")]);
      replicas.splice(replicas.indexOf(victim), 1);
      while (sent < opts.events * 0.6) await sleep(5);
      log(`restart NATS node ${node.name} and replica 2 after ${sent} events`);
      await node.restart();
      const restarted = await startServerProcess({ config, rules: { "rules.yaml": RULES } });
      replicas.push(restarted);
      allReplicas.push(restarted);
      log(`replica 2 back on ${restarted.url}`);
    })();

    const worker = async () => {
      for (;;) {
        const i = next++;
        if (i >= opts.events) return;
        const body = eventBody(i);
        let ok = false;
        for (let attempt = 0; attempt < 40 && !ok; attempt++) {
          if (attempt > 0) {
            retries++;
            await sleep(Math.min(1000, 100 * attempt));
          }
          const target = replicas[rr++ % replicas.length]!;
          try {
            const res = await fetch(target.url, {
              method: "POST",
              body,
              signal: AbortSignal.timeout(30_000),
            });
            await res.arrayBuffer();
            ok = res.status === 200;
          } catch {
            ok = false;
          }
        }
        (ok ? accepted : rejected).add(i);
        sent++;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    await chaos;
    log(`sent ${opts.events}: ${accepted.size} accepted, ${rejected.size} rejected, ${retries} retries`);

    const isActed = (i: number) => (recorder.acted.get(`soak event ${i}`) ?? 0) > 0;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline && ![...accepted].every(isActed)) await sleep(200);
    await sleep(2000); // late redeliveries, so re-runs are counted too

    const lines = allReplicas.flatMap((r) => r.logs);
    const publishDuplicates = lines.filter((l) => l.message === "event deduplicated").length;
    const skippedAsDone = lines.filter(
      (l) => l.message === "redelivered event already handled, skipped",
    ).length;
    const acted = [...recorder.acted.keys()].length;
    const result: SoakResult = {
      events: opts.events,
      accepted: accepted.size,
      rejected: rejected.size,
      acted,
      lost: [...accepted].filter((i) => !isActed(i)).length,
      actedMoreThanOnce: [...recorder.acted.values()].filter((n) => n > 1).length,
      rejectedButActed: [...rejected].filter(isActed).length,
      retries,
      duplicatesSuppressed: publishDuplicates + skippedAsDone,
      skippedAsDone,
      seconds: Math.round((Date.now() - started) / 100) / 10,
    };
    return result;
  } finally {
    await Promise.all(replicas.map((r) => r.stop("SIGTERM")));
    const closed = new Promise<void>((r) => recorder.server.close(() => r()));
    recorder.server.closeAllConnections();
    await closed;
    await nats.stop();
  }
}
