/**
 * The console behind the intake's real routing and security: HTTPS with a required client
 * certificate, a token file that rotates (signing sessions out), the Secure cookie, and the
 * intake left as it was on every other path.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { pino } from "pino";
import { makeTestCertificates } from "../../test/support/certs.js";
import { configSchema } from "../config/schema.js";
import { ConsoleFeed } from "../console/feed.js";
import { SessionStore } from "../console/sessions.js";
import { Metrics } from "../metrics/metrics.js";
import { securityFromConfig } from "./auth.js";
import { createConsoleRoute } from "./console.js";
import { createIntakeServer } from "./http.js";

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

describe("console auth over the intake's routing", () => {
  const dir = mkdtempSync(join(tmpdir(), "talon-console-auth-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  makeTestCertificates(dir);
  const read = (n: string) => readFileSync(join(dir, n));
  const tokenFile = join(dir, "token");

  it("needs the client certificate, sets a Secure cookie, and a rotated token signs sessions out", async () => {
    writeFileSync(tokenFile, "first-token\n");
    const config = configSchema.parse({
      auth: { token_file: tokenFile },
      tls: {
        cert_file: join(dir, "server.crt"),
        key_file: join(dir, "server.key"),
        client_ca_file: join(dir, "ca.crt"),
        require_client_cert: true,
      },
    });
    const { security, tls } = securityFromConfig(config, () => {});
    const metrics = new Metrics();
    const accepted: string[] = [];
    const server = createIntakeServer({
      logger: pino({ level: "silent" }),
      metrics,
      maxBodyBytes: 1 << 20,
      accept: async (e) => {
        accepted.push(e.rule);
        return "queued";
      },
      security,
      tls,
      console: createConsoleRoute({
        feed: new ConsoleFeed({ capacity: 10, replica: "r" }),
        rules: () => ({ rules: [], files: [], last_reload: { time: "", ok: true, problems: [] } }),
        artifactFolders: () => [],
        rehearse: async () => {
          throw new Error("unused");
        },
        assets: {
          get: async (p) =>
            p === ""
              ? { body: Buffer.from("<!doctype html>"), type: "text/html", immutable: false }
              : undefined,
        },
        security,
        sessions: new SessionStore(),
        tls: true,
        maxBodyBytes: 1 << 20,
        logger: pino({ level: "silent" }),
      }),
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    after(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as AddressInfo).port;
    const ca = read("ca.crt");
    const client = { ca, cert: read("client.crt"), key: read("client.key") };
    const call = (
      path: string,
      opts: { method?: string; headers?: Record<string, string>; body?: string; cert?: boolean } = {},
    ) =>
      new Promise<Answer>((resolve, reject) => {
        const req = request(
          {
            host: "127.0.0.1",
            port,
            path,
            method: opts.method ?? "GET",
            headers: opts.headers,
            agent: false,
            ...(opts.cert === false ? { ca } : client),
          },
          (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (c) => {
              body += c;
            });
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
          },
        );
        req.on("error", reject);
        req.end(opts.body);
      });
    const signIn = async (token: string) => {
      const r = await call("/ui/signin", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: `token=${token}`,
      });
      return { status: r.status, cookie: String(r.headers["set-cookie"] ?? "") };
    };

    assert.equal((await call("/ui/signin", { cert: false })).status, 401, "no client certificate");
    assert.equal(
      (await call("/ui/api/events", { cert: false, headers: { Authorization: "Bearer first-token" } }))
        .status,
      401,
    );
    assert.equal((await call("/ui")).status, 302);
    const first = await signIn("first-token");
    assert.equal(first.status, 303);
    assert.match(first.cookie, /; HttpOnly; SameSite=Strict; Max-Age=\d+; Secure$/);
    const cookie = first.cookie.split(";")[0]!;
    assert.equal((await call("/ui", { headers: { Cookie: cookie } })).status, 200);
    assert.equal((await call("/ui/api/events", { headers: { Cookie: cookie } })).status, 200);

    // The intake is as before: everything else is intake, behind its own checks.
    assert.equal((await call("/uix", { method: "POST", body: '{"rule":"a"}' })).status, 401);
    const posted = await call("/uix", {
      method: "POST",
      body: '{"rule":"a"}',
      headers: { Authorization: "Bearer first-token" },
    });
    assert.equal(posted.status, 200);
    assert.deepEqual(accepted, ["a"]);

    writeFileSync(tokenFile, "second-token\n");
    await new Promise((r) => setTimeout(r, 1100)); // the token file is checked at most once a second
    assert.equal(
      (await call("/ui/api/events", { headers: { Cookie: cookie } })).status,
      401,
      "signed out by the rotation",
    );
    assert.equal((await signIn("first-token")).status, 401);
    assert.equal((await signIn("second-token")).status, 303);
    assert.equal(
      (await call("/ui/api/events", { headers: { Authorization: "Bearer second-token" } })).status,
      200,
    );
    const counted = await metrics.registry.getSingleMetricAsString(
      "falcosecurity_falco_talon_events_rejected_total",
    );
    assert.match(counted, /reason="unauthorized"[^\n]* [3-9]/);
  });
});
