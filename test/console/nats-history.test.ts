/**
 * The console in distributed mode: history comes from the JetStream audit stream, so each
 * replica's console lists the events every replica handled, with their matches and actions.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { EventsPage } from "../../src/console/types.js";
import { waitFor } from "../support/k8s.js";
import { type NatsCluster, startNats } from "../support/nats.js";
import { type ServerProcess, startServerProcess } from "../support/server.js";

const TOKEN = "console-nats-token-0123456789";
const auth = { Authorization: `Bearer ${TOKEN}` };

describe("operator console with NATS (two replicas)", () => {
  let nats: NatsCluster;
  const replicas: ServerProcess[] = [];

  before(async () => {
    nats = await startNats();
    const config = `
listen_address: 127.0.0.1
rules_files: [$DIR/rules.yaml]
watch_rules: false
queue:
  shutdown_timeout_seconds: 5
  nats:
    url: "${nats.url}"
    stream: CONSOLE${process.pid}
    partitions: 8
`;
    const rules = `
- rule: Plan only
  match:
    rules: [Terminal shell in container]
  dry_run: true
  actions:
    - action: mark
      actionner: kubernetes:label
      parameters:
        labels: {suspicious: "true"}
`;
    // One after the other: both would create the same streams and consumers at once.
    for (let i = 0; i < 2; i++)
      replicas.push(
        await startServerProcess({ config, rules: { "rules.yaml": rules }, env: { AUTH_TOKEN: TOKEN } }),
      );
  });
  after(async () => {
    for (const s of replicas) await s.stop("SIGKILL");
    await nats?.stop();
  });

  it("lists on each replica what every replica did", async () => {
    const pods = Array.from({ length: 12 }, (_, i) => `pod-${i}`);
    for (const [i, pod] of pods.entries()) {
      const res = await fetch(replicas[i % 2]!.url, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({
          rule: "Terminal shell in container",
          priority: "Warning",
          output: `shell in ${pod}`,
          output_fields: { "k8s.ns.name": "prod", "k8s.pod.name": pod },
        }),
      });
      assert.equal(res.status, 200);
    }
    const handledBy = new Set<string>();
    for (const replica of replicas) {
      const events = await waitFor(
        "every event in this replica's console",
        async () => {
          const res = await fetch(`${replica.url}/ui/api/events?namespace=prod&limit=100`, { headers: auth });
          const page = (await res.json()) as EventsPage;
          const done = page.events.filter((e) => e.actions.some((a) => a.reason === "dry_run"));
          return done.length === pods.length ? page.events : undefined;
        },
        20_000,
      );
      assert.deepEqual(events.map((e) => e.event.output_fields["k8s.pod.name"]).sort(), [...pods].sort());
      for (const e of events) {
        assert.deepEqual(
          e.matches.map((m) => m.rule),
          ["Plan only"],
        );
        assert.match(e.actions[0]!.plan ?? "", /suspicious/);
        handledBy.add(e.replica);
      }
    }
    // Each console listed the events the other replica handled: they came from the stream.
    assert.equal(handledBy.size, 2, `handled by ${[...handledBy].join(", ")}`);
  });
});
