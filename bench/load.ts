/** Load generators: saturation (autocannon) and a steady open-loop rate (one event per pod). */
import { Agent, request } from "node:http";
import autocannon from "autocannon";
import { cpuSeconds, DEDUP_WINDOW_SECONDS, waitCpuIdle } from "./servers.js";

/** A Falco event as Falco sends it; `output` differs per event so no deduplication applies. */
export function falcoEvent(rule: string, namespace: string, pod: string, seq: number): string {
  return JSON.stringify({
    uuid: `f1b2a3c4-0000-4000-8000-${seq.toString().padStart(12, "0")}`,
    output: `12:00:00.123456789: Warning ${rule} (user=root container_id=abc123 shell=bash k8s.ns=${namespace} k8s.pod=${pod} seq=${seq})`,
    priority: "Warning",
    rule,
    time: "2026-11-23T12:00:00.123456789Z",
    source: "syscall",
    hostname: "node-1",
    tags: ["container", "mitre_execution", "shell"],
    output_fields: {
      "container.id": "abc123",
      "evt.time": 1795435200123,
      "k8s.ns.name": namespace,
      "k8s.pod.name": pod,
      "proc.cmdline": "bash -i",
      "proc.name": "bash",
      "proc.pid": 1234567,
      "user.name": "root",
    },
  });
}

export interface IntakeResult {
  eventsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  failed: number;
  /**
   * The server's CPU (user + system, every thread) per event of the measured run, from its start
   * until the server is idle after the deduplication window: the work an event costs, wherever
   * and whenever it is done. Only when `saturate` is given the server's pid.
   */
  cpuUsPerEvent?: number;
}

/** Saturation: 50 keep-alive connections, each POST a distinct event; a 2 s warm-up first. */
export async function saturate(
  url: string,
  rule: string,
  seconds: number,
  pid?: number,
): Promise<IntakeResult> {
  let seq = 0;
  const run = (duration: number) =>
    autocannon({
      url: `${url}/`,
      method: "POST",
      headers: { "content-type": "application/json" },
      connections: 50,
      pipelining: 1,
      duration,
      requests: [
        {
          setupRequest: (req) => ({ ...req, body: falcoEvent(rule, "default", "nginx", seq++) }),
        },
      ],
    });
  await run(2);
  const cpuBefore = pid === undefined ? 0 : cpuSeconds(pid);
  const r = await run(seconds);
  let cpuUsPerEvent: number | undefined;
  if (pid !== undefined) {
    // Both servers also work when an event's deduplication window ends (Talon expires its
    // JetStream message): wait it out, then until the server is idle.
    await new Promise((resolve) => setTimeout(resolve, (DEDUP_WINDOW_SECONDS + 1) * 1000));
    await waitCpuIdle(pid);
    cpuUsPerEvent = ((cpuSeconds(pid) - cpuBefore) * 1e6) / Math.max(1, r.requests.total);
  }
  return {
    eventsPerSec: r.requests.average,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    maxMs: r.latency.max,
    failed: r.non2xx + r.errors + r.timeouts,
    ...(cpuUsPerEvent === undefined ? {} : { cpuUsPerEvent }),
  };
}

/**
 * POSTs `amount` distinct events over 10 keep-alive connections, as fast as they are answered, to
 * `target.url` (through `target.socketPath` when set). Their sequence numbers start at `firstSeq`:
 * batches sent to one server within the deduplication window must not repeat an event, or the
 * server drops the repeats before matching them. Returns the failed POSTs.
 */
export async function sendEvents(
  target: { url: string; socketPath?: string },
  rule: string,
  amount: number,
  firstSeq = 0,
): Promise<number> {
  let seq = firstSeq;
  const r = await autocannon({
    url: `${target.url}/`,
    ...(target.socketPath ? { socketPath: target.socketPath } : {}),
    method: "POST",
    headers: { "content-type": "application/json" },
    connections: 10,
    amount,
    requests: [{ setupRequest: (req) => ({ ...req, body: falcoEvent(rule, "default", "nginx", seq++) }) }],
  });
  return r.non2xx + r.errors + r.timeouts;
}

/**
 * POSTs one event per pod at a steady rate (open loop: a slow answer never delays the next send).
 * Returns, per pod, when its POST was sent (performance.now()), and the failed POSTs.
 */
export async function steadyStream(opts: {
  url: string;
  rule: string;
  namespace: string;
  pods: string[];
  perSecond: number;
}): Promise<{ sentAt: Map<string, number>; failed: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const sentAt = new Map<string, number>();
  const pending: Promise<void>[] = [];
  let failed = 0;
  const target = new URL(opts.url);
  const post = (pod: string, seq: number) =>
    new Promise<void>((done) => {
      const body = falcoEvent(opts.rule, opts.namespace, pod, seq);
      sentAt.set(pod, performance.now());
      const req = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: "/",
          method: "POST",
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        },
        (res) => {
          if (res.statusCode !== 200) failed++;
          res.resume();
          res.on("end", done);
        },
      );
      req.on("error", () => {
        failed++;
        done();
      });
      req.end(body);
    });
  const interval = 1000 / opts.perSecond;
  const start = performance.now();
  let next = 0;
  while (next < opts.pods.length) {
    const due = Math.min(opts.pods.length, Math.floor((performance.now() - start) / interval) + 1);
    for (; next < due; next++) pending.push(post(opts.pods[next]!, next));
    await new Promise((r) => setTimeout(r, 2));
  }
  await Promise.all(pending);
  agent.destroy();
  return { sentAt, failed };
}
