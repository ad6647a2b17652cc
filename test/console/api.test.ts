/**
 * The operator console's server side, end to end: the real `falco-talon server` process with
 * a token, an audit file and the real API server. Sign-in and the API's auth and CSRF checks,
 * the live stream and its filters, history from the audit trail (across a restart), event
 * detail, revert, artifacts, rehearsal (plans only; a server-side dry run's verdict) and the
 * rules state after a failed reload.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { ConsoleEvent, EventsPage, RehearseResult, RulesState } from "../../src/console/types.js";
import { createNamespace, createPod, getTestCluster, type TestCluster, waitFor } from "../support/k8s.js";
import { type ServerProcess, startServerProcess } from "../support/server.js";

const TOKEN = "console-token-0123456789";
const BEARER = { Authorization: `Bearer ${TOKEN}` };
const CONSOLE = { "X-Talon-Console": "1" };

const rules = (ns: string, artifacts: string) => `
- rule: Label shells
  match:
    rules: [Terminal shell in container]
    output_fields: [k8s.ns.name=${ns}]
  actions:
    - action: mark
      actionner: kubernetes:label
      parameters:
        labels: {suspicious: "true"}
- rule: Collect logs
  match:
    rules: [Collect evidence]
  actions:
    - action: Get logs
      actionner: kubernetes:log
      parameters: {tail_lines: 5}
      output:
        target: local:file
        parameters: {destination: ${artifacts}}
- rule: Check on the server
  match:
    rules: [Server check]
  dry_run: server
  actions:
    - action: label for real, server-side dry run
      actionner: kubernetes:label
      parameters:
        labels: {checked: "yes"}
`;

/** Reads server-sent events from a stream until `until` says stop. */
async function readStream(
  res: Response,
  until: (kind: string, data: ConsoleEvent) => boolean,
  timeoutMs = 5000,
): Promise<{ kind: string; data: ConsoleEvent; at: number }[]> {
  const got: { kind: string; data: ConsoleEvent; at: number }[] = [];
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`stream: not seen in ${timeoutMs} ms; got ${JSON.stringify(got)}`);
    const chunk = await Promise.race([
      reader.read(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("stream timeout")), left)),
    ]);
    if (chunk.done) throw new Error("stream closed");
    buffer += decoder.decode(chunk.value, { stream: true });
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf("\n\n");
      const kind = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (!kind || !data) continue;
      const ev = JSON.parse(data) as ConsoleEvent;
      got.push({ kind, data: ev, at: Date.now() });
      if (until(kind, ev)) {
        await reader.cancel();
        return got;
      }
    }
  }
}

describe("operator console API (end to end)", () => {
  let cluster: TestCluster;
  let ns: string;
  let artifacts: string;
  let auditDir: string;
  let server: ServerProcess;
  let cookie = "";

  const config = () => `
rules_files: [$DIR/rules.yaml]
kubeconfig: ${cluster.kubeconfigPath}
audit:
  file: ${auditDir}/audit.jsonl
`;
  const start = () =>
    startServerProcess({
      config: config(),
      rules: { "rules.yaml": rules(ns, artifacts) },
      env: { AUTH_TOKEN: TOKEN },
    });
  const post = (event: Record<string, unknown>) =>
    fetch(server.url, { method: "POST", headers: BEARER, body: JSON.stringify(event) });
  const shell = (pod: string, namespace = ns) => ({
    rule: "Terminal shell in container",
    priority: "Warning",
    // Distinct texts: equal events within the deduplication window are one.
    output: `a shell in ${pod} (${namespace})`,
    output_fields: { "k8s.ns.name": namespace, "k8s.pod.name": pod },
  });
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${server.url}/ui/api${path}`, {
      ...init,
      headers: { Cookie: cookie, ...(init.headers as Record<string, string>) },
    });
  const labels = async (pod: string) =>
    (await cluster.kube.core.readNamespacedPod({ name: pod, namespace: ns })).metadata?.labels ?? {};

  before(async () => {
    cluster = await getTestCluster();
    ns = await createNamespace(cluster.kube, "console");
    for (const pod of ["web", "api", "db", "logs"]) await createPod(cluster.kube, ns, pod);
    artifacts = mkdtempSync(join(tmpdir(), "console-artifacts-"));
    auditDir = mkdtempSync(join(tmpdir(), "console-audit-"));
    server = await start();
  });

  after(async () => {
    if (process.env.CONSOLE_TEST_LOGS)
      console.error(JSON.stringify(server?.logs.filter((l) => l.message !== "request refused")));
    await server?.stop();
  });

  it("needs a sign-in: pages redirect, the API answers 401, a wrong token is refused", async () => {
    const rejectedBefore = await rejected();
    const page = await fetch(`${server.url}/ui/events?x=1`, { redirect: "manual" });
    assert.equal(page.status, 302);
    assert.equal(page.headers.get("location"), `/ui/signin?next=${encodeURIComponent("/ui/events?x=1")}`);
    const apiRes = await fetch(`${server.url}/ui/api/events`);
    assert.equal(apiRes.status, 401);
    assert.match(((await apiRes.json()) as { error: string }).error, /sign in/);

    const signin = await fetch(`${server.url}/ui/signin`);
    assert.equal(signin.status, 200);
    const html = await signin.text();
    for (const part of [
      /<html lang="en">/,
      /<title>[^<]+<\/title>/,
      /<main>/,
      /<label for="token">/,
      /id="token"[^>]*type="password"/,
    ])
      assert.match(html, part);
    assert.match(
      signin.headers.get("content-security-policy") ?? "",
      /default-src 'self'.*frame-ancestors 'none'/,
    );
    assert.equal(signin.headers.get("x-content-type-options"), "nosniff");
    assert.equal(signin.headers.get("referrer-policy"), "same-origin");
    assert.doesNotMatch(html, /<script|style=/, "no inline script or style");

    const wrong = await fetch(`${server.url}/ui/signin`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "token=nope",
      redirect: "manual",
    });
    assert.equal(wrong.status, 401);
    assert.match(await wrong.text(), /role="alert"[^>]*>That token is not valid/);
    assert.equal(wrong.headers.get("set-cookie"), null);
    assert.equal(await rejected(), rejectedBefore + 2, "the 401 on the API and the wrong token are counted");
  });

  const rejected = async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const m = /falco_talon_events_rejected_total\{[^}]*reason="unauthorized"[^}]*\} (\d+)/.exec(text);
    return Number(m?.[1] ?? 0);
  };

  it("signs in with the token: an HttpOnly, SameSite=Strict cookie for /ui, then the console and API", async () => {
    const res = await fetch(`${server.url}/ui/signin`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: TOKEN, next: "/ui/rules" }).toString(),
      redirect: "manual",
    });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), "/ui/rules");
    const set = res.headers.get("set-cookie") ?? "";
    assert.match(set, /^talon_console=[A-Za-z0-9_-]{43}; Path=\/ui; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    cookie = set.split(";")[0]!;
    const index = await fetch(`${server.url}/ui`, { headers: { Cookie: cookie } });
    assert.equal(index.status, 200);
    assert.match(index.headers.get("content-type") ?? "", /text\/html/);
    assert.match(index.headers.get("content-security-policy") ?? "", /script-src 'self'/);
    assert.equal((await api("/rules")).status, 200);
    // An open redirect is not followed.
    const evil = await fetch(`${server.url}/ui/signin`, {
      method: "POST",
      body: new URLSearchParams({ token: TOKEN, next: "//evil.example/ui" }),
      redirect: "manual",
    });
    assert.equal(evil.headers.get("location"), "/ui");
  });

  it("takes the token as a Bearer header on the API (a wrong one is refused)", async () => {
    assert.equal((await fetch(`${server.url}/ui/api/events`, { headers: BEARER })).status, 200);
    const bad = await fetch(`${server.url}/ui/api/events`, { headers: { Authorization: "Bearer nope" } });
    assert.equal(bad.status, 401);
    // Not on pages: a browser signs in.
    const page = await fetch(`${server.url}/ui`, { headers: BEARER, redirect: "manual" });
    assert.equal(page.status, 302);
  });

  it("streams a posted event within a second, with its action; filters narrow the stream", async () => {
    const ac = new AbortController();
    const stream = await api(`/stream?namespace=${ns}&pod=web`, { signal: ac.signal });
    assert.equal(stream.status, 200);
    assert.match(stream.headers.get("content-type") ?? "", /^text\/event-stream/);
    try {
      assert.equal((await post(shell("api"))).status, 200, "filtered out: another pod");
      assert.equal((await post(shell("web", "elsewhere"))).status, 200, "filtered out: another namespace");
      const sent = Date.now();
      assert.equal((await post(shell("web"))).status, 200);
      const got = await readStream(stream, (_kind, ev) => ev.actions.some((a) => a.status === "success"));
      const first = got[0]!;
      assert.equal(first.kind, "event");
      assert.ok(first.at - sent < 1000, `delivered within a second (${first.at - sent} ms)`);
      for (const { data } of got) {
        assert.equal(data.event.output_fields["k8s.pod.name"], "web");
        assert.equal(data.event.output_fields["k8s.ns.name"], ns);
      }
      const last = got[got.length - 1]!.data;
      assert.deepEqual(
        last.matches.map((m) => m.rule),
        ["Label shells"],
      );
      assert.ok(last.matches[0]!.reasons.every((r) => r.held));
      assert.match(last.matches[0]!.origin ?? "", /rules\.yaml:2:3$/);
      assert.equal(last.actions[0]!.reversible, true);
    } finally {
      ac.abort();
    }
  });

  it("lists history with filters, shows one event, and reverts its action through /ui/api", async () => {
    await waitFor("the labelled pod", async () => (await labels("web")).suspicious === "true");
    const pageRes = await api(`/events?namespace=${ns}&pod=web&rule=Label%20shells&status=success`);
    assert.equal(pageRes.status, 200);
    const { events } = (await pageRes.json()) as EventsPage;
    assert.equal(events.length, 1);
    const ev = events[0]!;
    const none = (await (await api(`/events?namespace=${ns}&pod=nobody`)).json()) as EventsPage;
    assert.deepEqual(none.events, []);
    assert.equal((await api("/events?since=nonsense")).status, 400);

    const detail = await api(`/events/${ev.id}`);
    assert.equal(detail.status, 200);
    const one = (await detail.json()) as ConsoleEvent;
    assert.equal(one.id, ev.id);
    assert.match(one.trace_id ?? "", /^[0-9a-f]{32}$/);
    assert.equal((await api("/events/no-such-event")).status, 404);
    const id = one.actions[0]!.action_id!;

    // Cookie-authenticated state changes need the console's header or a same-origin Origin.
    const revertPath = `/actions/${id}/revert`;
    assert.equal((await api(revertPath, { method: "POST" })).status, 403);
    assert.equal(
      (await api(revertPath, { method: "POST", headers: { Origin: "http://evil.example" } })).status,
      403,
    );
    assert.equal((await labels("web")).suspicious, "true", "a refused revert changes nothing");
    const res = await api(revertPath, { method: "POST", headers: CONSOLE });
    const body = (await res.json()) as { status: string };
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.status, "success");
    assert.deepEqual(await labels("web"), { app: "web" });
    const again = await api(revertPath, { method: "POST", headers: { Origin: server.url } });
    assert.equal(again.status, 200);
    assert.equal(((await again.json()) as { already_reverted: boolean }).already_reverted, true);
    const reverted = (await (await api(`/events/${ev.id}`)).json()) as ConsoleEvent;
    assert.equal(reverted.actions[0]!.reverted?.trigger, "manual");
    assert.equal(reverted.actions[0]!.reverted?.status, "success");
    assert.equal(
      (await api(`/actions/${"0".repeat(20)}/revert`, { method: "POST", headers: CONSOLE })).status,
      404,
    );
  });

  it("counts events and actions over time", async () => {
    const res = await api("/stats?since=10m&bucket=60");
    assert.equal(res.status, 200);
    const stats = (await res.json()) as {
      times: number[];
      by_priority: Record<string, number[]>;
      by_action_status: Record<string, number[]>;
    };
    assert.ok(stats.times.length >= 10);
    const sum = (xs: number[] | undefined) => (xs ?? []).reduce((a, b) => a + b, 0);
    assert.ok(sum(stats.by_priority.Warning) >= 3);
    assert.ok(sum(stats.by_action_status.success) >= 1);
    assert.equal((await api("/stats?bucket=0")).status, 400);
  });

  it("downloads a local:file artifact; nothing else is served", async () => {
    assert.equal(
      (
        await post({
          rule: "Collect evidence",
          priority: "Notice",
          output: "collect",
          output_fields: { "k8s.ns.name": ns, "k8s.pod.name": "logs" },
        })
      ).status,
      200,
    );
    const ev = await waitFor("the artifact", async () => {
      const { events } = (await (await api("/events?rule=Collect%20logs")).json()) as EventsPage;
      return events.find((e) => e.actions[0]?.outputs[0]?.status === "success");
    });
    const out = ev.actions[0]!.outputs[0]!;
    assert.equal(out.target, "local:file");
    const link = out.download!;
    assert.match(link, /^\/ui\/api\/artifacts\/[0-9a-f]{20}\/[^/]+_log$/);
    const file = await fetch(server.url + link, { headers: { Cookie: cookie } });
    assert.equal(file.status, 200);
    assert.match(file.headers.get("content-disposition") ?? "", /^attachment; filename="[^"]+_log"$/);
    assert.equal(await file.text(), readFileSync(out.objects.destination!, "utf8"));
    writeFileSync(join(artifacts, "not-recorded"), "x");
    const dir = link.slice(0, link.lastIndexOf("/"));
    for (const [path, status] of [
      [`${dir}/not-recorded`, 404],
      [`${dir}/..%2F..%2Fetc%2Fpasswd`, 400],
      [`/ui/api/artifacts/${"0".repeat(20)}/${link.split("/").pop()}`, 404],
    ] as const) {
      const res = await fetch(server.url + path, { headers: { Cookie: cookie } });
      assert.equal(res.status, status, path);
    }
    // A `..` segment as sent (fetch would resolve it first).
    const raw = await new Promise<number>((resolve, reject) =>
      request(
        {
          host: "127.0.0.1",
          port: new URL(server.url).port,
          path: `${dir}/%2e%2e`,
          headers: { Cookie: cookie },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      )
        .on("error", reject)
        .end(),
    );
    assert.equal(raw, 400);
  });

  it("rehearses: matches, misses and plans, nothing run; a server-side dry run's verdict", async () => {
    const before = await labels("db");
    const res = await api("/rehearse", {
      method: "POST",
      headers: CONSOLE,
      body: JSON.stringify(shell("db")),
    });
    const r = (await res.json()) as RehearseResult;
    assert.equal(res.status, 200, JSON.stringify(r));
    assert.deepEqual(
      r.matches.map((m) => m.rule),
      ["Label shells"],
    );
    assert.deepEqual(
      r.misses.map((m) => [m.rule, m.reasons.find((x) => !x.held)?.criterion]),
      [
        ["Collect logs", "rules"],
        ["Check on the server", "rules"],
      ],
    );
    assert.equal(r.plans.length, 1);
    assert.match(r.plans[0]!.plan ?? "", /suspicious.*db/);
    assert.equal(r.plans[0]!.server_dry_run, undefined);

    const check = (pod: string) =>
      api("/rehearse", {
        method: "POST",
        headers: { Origin: server.url },
        body: JSON.stringify({
          rule: "Server check",
          priority: "Notice",
          output_fields: { "k8s.ns.name": ns, "k8s.pod.name": pod },
        }),
      }).then(async (x) => (await x.json()) as RehearseResult);
    const ok = await check("db");
    assert.deepEqual(ok.plans[0]!.server_dry_run, { status: "success" });
    const missing = await check("no-such-pod");
    assert.equal(missing.plans[0]!.server_dry_run?.status, "failure");
    assert.match(missing.plans[0]!.server_dry_run?.error ?? "", /not found|no-such-pod/);
    assert.deepEqual(await labels("db"), before, "the API server's object is unchanged");

    assert.equal((await api("/rehearse", { method: "POST", headers: CONSOLE, body: "{" })).status, 400);
    const bad = await api("/rehearse", { method: "POST", headers: CONSOLE, body: '{"tags":"x"}' });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /tags/);
    assert.equal((await api("/rehearse", { method: "POST", body: "{}" })).status, 403, "CSRF check");
    const viaBearer = await fetch(`${server.url}/ui/api/rehearse`, {
      method: "POST",
      headers: BEARER,
      body: "{}",
    });
    assert.equal(viaBearer.status, 200, "a Bearer call carries no cookie: no CSRF check");
  });

  it("shows the rules in force, and every problem of a failed reload with file:line:col", async () => {
    const state = (await (await api("/rules")).json()) as RulesState;
    assert.deepEqual(
      state.rules.map((r) => [r.name, /rules\.yaml:\d+:\d+$/.test(r.origin ?? "")]),
      [
        ["Label shells", true],
        ["Collect logs", true],
        ["Check on the server", true],
      ],
    );
    assert.equal(state.rules[2]!.dry_run, "server");
    assert.deepEqual(state.rules[0]!.match, {
      rules: ["Terminal shell in container"],
      output_fields: [`k8s.ns.name=${ns}`],
    });
    assert.equal(state.last_reload.ok, true);
    const file = join(server.dir, "rules.yaml");
    writeFileSync(
      file,
      `- rule: Broken
  actions:
    - action: a
      actionner: kubernetes:nope
- rule: Also broken
  match:
    priority: Sometimes
  actions: []
`,
    );
    const failed = await waitFor(
      "the failed reload",
      async () => {
        const s = (await (await api("/rules")).json()) as RulesState;
        return s.last_reload.ok ? undefined : s;
      },
      20_000,
    );
    assert.ok(failed.last_reload.problems.length >= 2, JSON.stringify(failed.last_reload));
    for (const p of failed.last_reload.problems) assert.match(p, /rules\.yaml:\d+:\d+/);
    assert.ok(failed.last_reload.problems.some((p) => /kubernetes:nope/.test(p)));
    assert.equal(failed.rules.length, 3, "the previous rules stay in force");
    writeFileSync(file, rules(ns, artifacts));
  });

  it("signs out (same-origin only); history comes back from the audit file after a restart", async () => {
    const { events: beforeRestart } = (await (await api(`/events?namespace=${ns}`)).json()) as EventsPage;
    assert.ok(beforeRestart.length >= 2);
    assert.equal(
      (await fetch(`${server.url}/ui/signout`, { method: "POST", headers: { Cookie: cookie } })).status,
      403,
    );
    const out = await fetch(`${server.url}/ui/signout`, {
      method: "POST",
      headers: { Cookie: cookie, ...CONSOLE },
      redirect: "manual",
    });
    assert.equal(out.status, 303);
    assert.match(out.headers.get("set-cookie") ?? "", /Max-Age=0/);
    assert.equal((await api("/events")).status, 401, "the session is closed");

    await server.stop();
    server = await start();
    const { events } = (await (
      await fetch(`${server.url}/ui/api/events?namespace=${ns}`, { headers: BEARER })
    ).json()) as EventsPage;
    const labelled = beforeRestart.find((e) => e.actions.some((a) => a.actionner === "kubernetes:label"))!;
    const back = events.find((e) => e.id === labelled.id);
    assert.ok(back, "the event is read back from the audit trail");
    assert.deepEqual(
      back.matches.map((m) => m.rule),
      ["Label shells"],
    );
    assert.equal(back.event.output_fields["k8s.pod.name"], "web");
    assert.equal(back.actions[0]!.status, "success");
    assert.equal(back.actions[0]!.reverted?.trigger, "manual");
    // Its detail has the reasons of the rule, still in force.
    const detail = (await (
      await fetch(`${server.url}/ui/api/events/${back.id}`, { headers: BEARER })
    ).json()) as ConsoleEvent;
    assert.deepEqual(
      detail.matches[0]!.reasons.map((r) => [r.criterion, r.held]),
      [
        ["rules", true],
        ["output_fields", true],
      ],
    );
  });
});
