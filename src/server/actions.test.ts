/**
 * GET /actions and POST /actions/<id>/revert through the intake server, over a stub handler:
 * status codes per outcome, request checks, and the token they need whenever one is set.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { pino } from "pino";
import { makeTestCertificates } from "../../test/support/certs.js";
import { configSchema } from "../config/schema.js";
import { Metrics } from "../metrics/metrics.js";
import type { RevertResult } from "../plugins/types.js";
import type { StoredAction } from "../undo/action.js";
import type { RevertOutcome } from "../undo/reverter.js";
import type { ActionsHandlers } from "./actions.js";
import { type IntakeSecurity, securityFromConfig, type TlsFiles } from "./auth.js";
import { createIntakeServer } from "./http.js";

const ID = {
  ok: "00000000000000000001",
  conflict: "00000000000000000002",
  failure: "00000000000000000003",
  already: "00000000000000000004",
  missing: "00000000000000000005",
  busy: "00000000000000000006",
};

const stored = (action_id: string): StoredAction => ({
  action_id,
  time: "2026-01-01T10:00:00.000Z",
  replica: "host:1",
  event_id: "ev-1",
  rule: "Terminal shell",
  action: "label the pod",
  actionner: "kubernetes:label",
  target: "pod:default/web",
  objects: { namespace: "default", pod: "web" },
  undo: { labels: { quarantine: null } },
});

const result = (status: RevertResult["status"]): RevertResult => ({
  status,
  reverted: status === "success" ? ["label 'quarantine' removed"] : [],
  unchanged: [],
  conflicts: status === "conflict" ? ["label 'quarantine' changed since"] : [],
  ...(status === "failure" ? { error: "pod not found" } : {}),
  objects: { namespace: "default", pod: "web" },
});

function handlers(): ActionsHandlers & { calls: [string, boolean][] } {
  const calls: [string, boolean][] = [];
  return {
    calls,
    list: async () => [stored(ID.ok), { ...stored(ID.already), revert_at: "2026-01-01T11:00:00.000Z" }],
    revert: async (id, dryRun): Promise<RevertOutcome> => {
      calls.push([id, dryRun]);
      if (!/^[0-9a-f]{20}$/.test(id)) return { kind: "invalid_id", message: `invalid action id '${id}'` };
      if (id === ID.missing) return { kind: "not_found", message: `no reversible action '${id}'` };
      if (id === ID.busy) return { kind: "busy", action: stored(id), message: "a revert is under way" };
      if (id === ID.already)
        return { kind: "already_reverted", action: stored(id), result: result("success") };
      const status = id === ID.conflict ? "conflict" : id === ID.failure ? "failure" : "success";
      return { kind: "reverted", action: stored(id), result: result(status), dryRun };
    },
  };
}

async function serve(opts: { actions?: ActionsHandlers; security?: IntakeSecurity; tls?: TlsFiles } = {}) {
  const accepted: string[] = [];
  const server = createIntakeServer({
    logger: pino({ level: "silent" }),
    metrics: new Metrics(),
    maxBodyBytes: 1 << 20,
    accept: async (e) => {
      accepted.push(e.rule);
      return "queued";
    },
    actions: opts.actions,
    security: opts.security,
    tls: opts.tls,
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as AddressInfo).port;
  after(() => {
    server.closeAllConnections();
    return new Promise((r) => server.close(r));
  });
  const call = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, init);
    return { status: res.status, headers: res.headers, text: await res.text() };
  };
  return { port, accepted, call };
}

const EVENT = JSON.stringify({ rule: "r", priority: "Warning", output: "x", output_fields: {} });
const POST = { method: "POST" };

describe("GET /actions and POST /actions/<id>/revert", () => {
  it("lists the kept actions as JSON", async () => {
    const s = await serve({ actions: handlers() });
    const res = await s.call("/actions");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/json");
    const body = JSON.parse(res.text) as { actions: StoredAction[] };
    assert.deepEqual(
      body.actions.map((a) => a.action_id),
      [ID.ok, ID.already],
    );
    assert.equal(body.actions[1]!.revert_at, "2026-01-01T11:00:00.000Z");
    // A query string does not change the endpoint.
    assert.equal((await s.call("/actions?x=1")).status, 200);
  });

  it("answers a revert with 200, 409 or 502 by its status", async () => {
    const h = handlers();
    const s = await serve({ actions: h });
    const ok = await s.call(`/actions/${ID.ok}/revert`, POST);
    assert.equal(ok.status, 200);
    assert.deepEqual(JSON.parse(ok.text), {
      action_id: ID.ok,
      rule: "Terminal shell",
      action: "label the pod",
      actionner: "kubernetes:label",
      status: "success",
      dry_run: false,
      already_reverted: false,
      reverted: ["label 'quarantine' removed"],
      unchanged: [],
      conflicts: [],
      objects: { namespace: "default", pod: "web" },
    });
    const conflict = await s.call(`/actions/${ID.conflict}/revert`, POST);
    assert.equal(conflict.status, 409);
    assert.deepEqual(JSON.parse(conflict.text).conflicts, ["label 'quarantine' changed since"]);
    const failure = await s.call(`/actions/${ID.failure}/revert`, POST);
    assert.equal(failure.status, 502);
    assert.equal(JSON.parse(failure.text).error, "pod not found");
    const already = await s.call(`/actions/${ID.already}/revert`, POST);
    assert.equal(already.status, 200);
    assert.equal(JSON.parse(already.text).already_reverted, true);
    assert.deepEqual(h.calls, [
      [ID.ok, false],
      [ID.conflict, false],
      [ID.failure, false],
      [ID.already, false],
    ]);
  });

  it("passes dry_run on, and refuses any other value of it", async () => {
    const h = handlers();
    const s = await serve({ actions: h });
    const dry = await s.call(`/actions/${ID.ok}/revert?dry_run=true`, POST);
    assert.equal(dry.status, 200);
    assert.equal(JSON.parse(dry.text).dry_run, true);
    assert.equal((await s.call(`/actions/${ID.ok}/revert?dry_run=false`, POST)).status, 200);
    const bad = await s.call(`/actions/${ID.ok}/revert?dry_run=yes`, POST);
    assert.equal(bad.status, 400);
    assert.match(bad.text, /dry_run must be true or false/);
    assert.deepEqual(h.calls, [
      [ID.ok, true],
      [ID.ok, false],
    ]);
  });

  it("400 for an invalid id, 404 for an unknown one or an unknown path", async () => {
    const h = handlers();
    const s = await serve({ actions: h });
    const invalid = await s.call("/actions/not-an-id/revert", POST);
    assert.equal(invalid.status, 400);
    assert.match(invalid.text, /^Bad Request\ninvalid action id 'not-an-id'/);
    // A malformed escape reaches the id check as is.
    assert.equal((await s.call("/actions/%zz/revert", POST)).status, 400);
    const missing = await s.call(`/actions/${ID.missing}/revert`, POST);
    assert.equal(missing.status, 404);
    assert.match(missing.text, /no reversible action/);
    assert.deepEqual(
      h.calls.map(([id]) => id),
      ["not-an-id", "%zz", ID.missing],
    );
    for (const path of ["/actions/", `/actions/${ID.ok}`, `/actions/${ID.ok}/undo`, `/actions/a/b/revert`]) {
      const res = await s.call(path, POST);
      assert.equal(res.status, 404, path);
      assert.match(res.text, /use GET \/actions or POST \/actions\/<id>\/revert/);
    }
    assert.equal(h.calls.length, 3);
  });

  it("409 with Retry-After while another revert of it is under way", async () => {
    const s = await serve({ actions: handlers() });
    const res = await s.call(`/actions/${ID.busy}/revert`, POST);
    assert.equal(res.status, 409);
    assert.match(res.text, /^Conflict\na revert is under way/);
  });

  it("405 with Allow for the wrong method", async () => {
    const h = handlers();
    const s = await serve({ actions: h });
    const list = await s.call("/actions", { method: "POST", body: "{}" });
    assert.equal(list.status, 405);
    assert.equal(list.headers.get("allow"), "GET");
    const revert = await s.call(`/actions/${ID.ok}/revert`);
    assert.equal(revert.status, 405);
    assert.equal(revert.headers.get("allow"), "POST");
    assert.equal((await s.call(`/actions/${ID.ok}/revert`, { method: "DELETE" })).status, 405);
    assert.equal(h.calls.length, 0);
  });

  it("404 when the server serves no reversible actions; the intake is unchanged", async () => {
    const s = await serve();
    const res = await s.call("/actions");
    assert.equal(res.status, 404);
    assert.match(res.text, /not served here/);
    assert.equal((await s.call(`/actions/${ID.ok}/revert`, POST)).status, 404);
    assert.equal((await s.call("/", { method: "POST", body: EVENT })).status, 200);
    assert.deepEqual(s.accepted, ["r"]);
  });

  it("a handler that throws is a 500", async () => {
    const s = await serve({
      actions: {
        list: async () => {
          throw new Error("bucket gone");
        },
        revert: async () => {
          throw new Error("bucket gone");
        },
      },
    });
    assert.equal((await s.call("/actions")).status, 500);
    assert.equal((await s.call(`/actions/${ID.ok}/revert`, POST)).status, 500);
  });
});

describe("the actions endpoints need the token whenever one is set", () => {
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

  it("even when auth.protect lists only health", async () => {
    const { security } = securityFromConfig(
      configSchema.parse({ auth: { token: "s3cret", protect: ["health"] } }),
      () => {},
    );
    const h = handlers();
    const s = await serve({ actions: h, security });
    for (const [path, init] of [
      ["/actions", {}],
      [`/actions/${ID.ok}/revert`, POST],
      ["/actions/unknown", {}],
    ] as const) {
      const none = await s.call(path, init);
      assert.equal(none.status, 401, path);
      assert.equal(none.headers.get("www-authenticate"), 'Bearer realm="falco-talon"');
      assert.equal((await s.call(path, { ...init, headers: bearer("wrong") })).status, 401, path);
    }
    assert.equal(h.calls.length, 0, "no revert without the token");
    assert.equal((await s.call("/actions", { headers: bearer("s3cret") })).status, 200);
    assert.equal(
      (await s.call(`/actions/${ID.ok}/revert`, { ...POST, headers: bearer("s3cret") })).status,
      200,
    );
    assert.deepEqual(h.calls, [[ID.ok, false]]);
    // The other endpoints follow auth.protect.
    assert.equal((await s.call("/healthz")).status, 401);
    assert.equal((await s.call("/", { method: "POST", body: EVENT })).status, 200);
    assert.equal(
      (await s.call("/actionsx", { method: "POST", body: EVENT })).status,
      200,
      "not an actions path",
    );
    assert.deepEqual(s.accepted, ["r", "r"]);
  });

  it("without a token they are open", async () => {
    const { security } = securityFromConfig(configSchema.parse({}), () => {});
    const s = await serve({ actions: handlers(), security });
    assert.equal((await s.call("/actions")).status, 200);
    assert.equal((await s.call(`/actions/${ID.ok}/revert`, POST)).status, 200);
    assert.equal((await s.call("/", { method: "POST", body: EVENT })).status, 200);
  });

  it("and a verified client certificate whenever one is required", async () => {
    const dir = mkdtempSync(join(tmpdir(), "talon-actions-tls-"));
    after(() => rmSync(dir, { recursive: true, force: true }));
    makeTestCertificates(dir);
    const read = (n: string) => readFileSync(join(dir, n));
    const { security, tls } = securityFromConfig(
      configSchema.parse({
        auth: { protect: ["health"] },
        tls: {
          cert_file: join(dir, "server.crt"),
          key_file: join(dir, "server.key"),
          client_ca_file: join(dir, "ca.crt"),
          require_client_cert: true,
        },
      }),
      () => {},
    );
    const s = await serve({ actions: handlers(), security, tls });
    const get = (path: string, client: object) =>
      new Promise<number>((resolve, reject) => {
        const req = httpsRequest(
          { host: "127.0.0.1", port: s.port, path, method: "GET", ca: read("ca.crt"), ...client },
          (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
          },
        );
        req.on("error", reject);
        req.end();
      });
    assert.equal(await get("/actions", {}), 401);
    assert.equal(await get("/actions", { cert: read("rogue.crt"), key: read("rogue.key") }), 401);
    assert.equal(await get("/actions", { cert: read("client.crt"), key: read("client.key") }), 200);
  });
});
