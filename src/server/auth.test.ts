import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { connect as tlsConnect } from "node:tls";
import { pino } from "pino";
import { makeTestCertificates } from "../../test/support/certs.js";
import { configSchema } from "../config/schema.js";
import { Metrics } from "../metrics/metrics.js";
import {
  bearerToken,
  endpointOf,
  fileToken,
  type IntakeSecurity,
  isGuarded,
  RateLimiter,
  securityFromConfig,
  staticToken,
  type TlsFiles,
  tokensEqual,
} from "./auth.js";
import { createIntakeServer } from "./http.js";

const EVENT = JSON.stringify({ rule: "r", priority: "Warning", output: "x", output_fields: {} });

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

async function serve(security: IntakeSecurity | undefined, tls?: TlsFiles, tlsReloadMs?: number) {
  const accepted: string[] = [];
  const server = createIntakeServer({
    logger: pino({ level: "silent" }),
    metrics: new Metrics(),
    maxBodyBytes: 1 << 20,
    accept: async (e) => {
      accepted.push(e.rule);
      return "queued";
    },
    security,
    tls,
    tlsReloadMs,
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as AddressInfo).port;
  const call = (
    path: string,
    opts: { method?: string; headers?: Record<string, string>; body?: string; tls?: object } = {},
  ) =>
    new Promise<Answer>((resolve, reject) => {
      const req = (tls ? httpsRequest : httpRequest)(
        {
          host: "127.0.0.1",
          port,
          path,
          method: opts.method ?? "POST",
          headers: opts.headers,
          agent: false,
          ...opts.tls,
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
      req.end(opts.body ?? (opts.method === "GET" ? undefined : EVENT));
    });
  return { server, call, accepted, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe("token helpers", () => {
  it("compares tokens in constant time, any length", () => {
    assert.equal(tokensEqual("secret", "secret"), true);
    assert.equal(tokensEqual("secret", "secreT"), false);
    assert.equal(tokensEqual("", "a-much-longer-token"), false);
  });
  it("reads the Bearer scheme in any case and nothing else", () => {
    assert.equal(bearerToken("Bearer abc"), "abc");
    assert.equal(bearerToken("bearer   abc "), "abc");
    assert.equal(bearerToken("Basic abc"), undefined);
    assert.equal(bearerToken("Bearer a b"), undefined);
    assert.equal(bearerToken(undefined), undefined);
  });
  it("re-reads the token file when it changes, and refuses when it disappears", async () => {
    const dir = mkdtempSync(join(tmpdir(), "talon-auth-"));
    try {
      const file = join(dir, "token");
      writeFileSync(file, "first\n");
      const errors: string[] = [];
      const source = fileToken(file, { checkEveryMs: 0, onError: (m) => errors.push(m) });
      assert.equal(await source.current(), "first");
      writeFileSync(file, "second-token\n");
      assert.equal(await source.current(), "second-token");
      rmSync(file);
      assert.equal(await source.current(), undefined);
      assert.equal(await source.current(), undefined);
      assert.equal(errors.length, 1, "a lasting problem is reported once");
      assert.match(errors[0]!, /cannot be read/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("RateLimiter", () => {
  it("allows a burst, then one request per 1/rate seconds, per source", () => {
    let now = 0;
    const rl = new RateLimiter(2, 3, () => now);
    for (let i = 0; i < 3; i++) assert.deepEqual(rl.take("a"), { ok: true });
    assert.deepEqual(rl.take("a"), { ok: false, retryAfterSeconds: 1 });
    assert.deepEqual(rl.take("b"), { ok: true }, "another source has its own bucket");
    now = 500;
    assert.deepEqual(rl.take("a"), { ok: true });
    assert.equal(rl.take("a").ok, false);
  });
  it("says how long to wait at low rates, and forgets idle sources", () => {
    let now = 0;
    const rl = new RateLimiter(0.1, 1, () => now);
    assert.equal(rl.take("a").ok, true);
    assert.deepEqual(rl.take("a"), { ok: false, retryAfterSeconds: 10 });
    now = 60_000;
    rl.take("b");
    assert.equal(rl.size, 1, "the refilled bucket of 'a' was dropped");
  });
});

describe("securityFromConfig", () => {
  it("protects the intake only by default, and only with a token", () => {
    const none = securityFromConfig(configSchema.parse({}), () => {});
    assert.equal(none.security.token, undefined);
    assert.equal(none.security.rateLimiter, undefined);
    assert.equal(none.tls, undefined);
    const withToken = securityFromConfig(configSchema.parse({ auth: { token: "t" } }), () => {});
    assert.deepEqual([...withToken.security.protect], ["intake"]);
    assert.ok(withToken.security.token);
  });
  it("guards the console (/ui) whenever a token is set, listed in protect or not", () => {
    assert.equal(endpointOf("/ui"), "console");
    assert.equal(endpointOf("/ui/api/events"), "console");
    assert.equal(endpointOf("/uix"), "intake");
    const open = securityFromConfig(configSchema.parse({}), () => {}).security;
    assert.equal(isGuarded(open, "console"), false);
    const token = securityFromConfig(configSchema.parse({ auth: { token: "t" } }), () => {}).security;
    assert.equal(isGuarded(token, "console"), true);
    assert.equal(isGuarded(token, "metrics"), false);
    const listed = configSchema.parse({ auth: { token: "t", protect: "intake,console" } });
    assert.deepEqual(listed.auth.protect, ["intake", "console"]);
    assert.equal(configSchema.safeParse({ auth: { protect: ["consol"] } }).success, false);
  });
  it("reads protect and rate limits from env-style strings", () => {
    const c = configSchema.parse({
      auth: { token: "t", protect: "intake, metrics" },
      rate_limit: { per_source_per_second: "5" },
    });
    const { security } = securityFromConfig(c, () => {});
    assert.deepEqual([...security.protect], ["intake", "metrics"]);
    assert.equal(security.rateLimiter?.burst, 5);
  });
  it("rejects inconsistent settings with clear messages", () => {
    assert.throws(
      () => securityFromConfig(configSchema.parse({ tls: { cert_file: "/x" } }), () => {}),
      /tls.cert_file and tls.key_file must be set together/,
    );
    assert.throws(
      () => securityFromConfig(configSchema.parse({ auth: { token_file: "/nonexistent/t" } }), () => {}),
      /auth.token_file '\/nonexistent\/t' cannot be read/,
    );
    assert.throws(() => configSchema.parse({ auth: { protect: ["intake", "admin"] } }));
  });
});

describe("intake server security", () => {
  it("answers 401 with WWW-Authenticate without a valid token; health stays open", async () => {
    const s = await serve({
      protect: new Set(["intake", "metrics"]),
      token: staticToken("s3cret"),
      requireClientCert: false,
    });
    after(s.close);
    const none = await s.call("/");
    assert.equal(none.status, 401);
    assert.equal(none.headers["www-authenticate"], 'Bearer realm="falco-talon"');
    assert.equal((await s.call("/", { headers: { Authorization: "Bearer wrong" } })).status, 401);
    assert.equal((await s.call("/", { headers: { Authorization: "Bearer s3cret" } })).status, 200);
    assert.deepEqual(s.accepted, ["r"], "refused events never reach the queue");
    assert.equal((await s.call("/healthz", { method: "GET" })).status, 200);
    assert.equal((await s.call("/metrics", { method: "GET" })).status, 401);
    const metrics = await s.call("/metrics", { method: "GET", headers: { authorization: "bearer s3cret" } });
    assert.match(metrics.body, /events_rejected_total\{reason="unauthorized"[^}]*\} 3/);
  });

  it("answers 429 with Retry-After past the per-source burst", async () => {
    const s = await serve({
      protect: new Set(),
      requireClientCert: false,
      rateLimiter: new RateLimiter(0.5, 2),
    });
    after(s.close);
    assert.equal((await s.call("/")).status, 200);
    assert.equal((await s.call("/")).status, 200);
    const limited = await s.call("/");
    assert.equal(limited.status, 429);
    assert.equal(limited.headers["retry-after"], "2");
    assert.equal((await s.call("/healthz", { method: "GET" })).status, 200, "health is not rate limited");
  });
});

describe("TLS and client certificates", () => {
  const dir = mkdtempSync(join(tmpdir(), "talon-tls-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  // ca, server and client certificates, and a client certificate from another CA (rogue).
  makeTestCertificates(dir);
  const file = (n: string) => join(dir, n);
  const read = (n: string) => readFileSync(file(n));

  it("serves HTTPS and requires a verified client certificate on protected endpoints only", async () => {
    const config = configSchema.parse({
      auth: { protect: ["intake"] },
      tls: {
        cert_file: file("server.crt"),
        key_file: file("server.key"),
        client_ca_file: file("ca.crt"),
        require_client_cert: true,
      },
    });
    const { security, tls } = securityFromConfig(config, () => {});
    const s = await serve(security, tls);
    after(s.close);
    const ca = read("ca.crt");
    const noCert = await s.call("/", { tls: { ca } });
    assert.equal(noCert.status, 401);
    assert.match(noCert.body, /client certificate is required/);
    assert.equal((await s.call("/healthz", { method: "GET", tls: { ca } })).status, 200);
    const rogue = await s.call("/", { tls: { ca, cert: read("rogue.crt"), key: read("rogue.key") } });
    assert.equal(rogue.status, 401);
    const ok = await s.call("/", { tls: { ca, cert: read("client.crt"), key: read("client.key") } });
    assert.equal(ok.status, 200);
    await assert.rejects(
      s.call("/", { tls: { ca: read("rogue.crt") } }),
      /certificate/,
      "server cert checked",
    );
  });

  it("serves rotated certificates to new connections without a restart; a broken set keeps the previous one", async () => {
    const live = mkdtempSync(join(tmpdir(), "talon-tls-live-"));
    after(() => rmSync(live, { recursive: true, force: true }));
    copyFileSync(file("server.crt"), join(live, "tls.crt"));
    copyFileSync(file("server.key"), join(live, "tls.key"));
    const config = configSchema.parse({
      tls: { cert_file: join(live, "tls.crt"), key_file: join(live, "tls.key") },
    });
    const { security, tls } = securityFromConfig(config, () => {});
    const s = await serve(security, tls, 50);
    after(s.close);
    const port = (s.server.address() as AddressInfo).port;
    const served = () =>
      new Promise<string>((resolve, reject) => {
        const socket = tlsConnect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => {
          const fp = socket.getPeerCertificate().fingerprint256;
          socket.end();
          resolve(fp);
        });
        socket.on("error", reject);
      });
    const fingerprintOf = (path: string) => new X509Certificate(readFileSync(path)).fingerprint256;
    assert.equal(await served(), fingerprintOf(file("server.crt")));

    // cert-manager renews: a new key pair lands in the same files.
    const renewed = mkdtempSync(join(tmpdir(), "talon-tls-renewed-"));
    after(() => rmSync(renewed, { recursive: true, force: true }));
    makeTestCertificates(renewed);
    copyFileSync(join(renewed, "server.key"), join(live, "tls.key"));
    copyFileSync(join(renewed, "server.crt"), join(live, "tls.crt"));
    const deadline = Date.now() + 5000;
    while ((await served()) !== fingerprintOf(join(renewed, "server.crt")) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(await served(), fingerprintOf(join(renewed, "server.crt")));

    // A certificate that does not match the key is refused; the renewed pair stays in force.
    copyFileSync(file("server.crt"), join(live, "tls.crt"));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await served(), fingerprintOf(join(renewed, "server.crt")));
    assert.equal((await s.call("/", { tls: { ca: readFileSync(join(renewed, "ca.crt")) } })).status, 200);
  });

  it("combines the client certificate with the token", async () => {
    const config = configSchema.parse({
      auth: { token: "tok" },
      tls: {
        cert_file: file("server.crt"),
        key_file: file("server.key"),
        client_ca_file: file("ca.crt"),
        require_client_cert: "true",
      },
    });
    const { security, tls } = securityFromConfig(config, () => {});
    const s = await serve(security, tls);
    after(s.close);
    const client = { ca: read("ca.crt"), cert: read("client.crt"), key: read("client.key") };
    assert.equal((await s.call("/", { tls: client })).status, 401);
    assert.equal((await s.call("/", { tls: client, headers: { Authorization: "Bearer tok" } })).status, 200);
  });

  it("needs a client CA to require client certificates", () => {
    const c = configSchema.parse({
      tls: { cert_file: file("server.crt"), key_file: file("server.key"), require_client_cert: true },
    });
    assert.throws(() => securityFromConfig(c, () => {}), /require_client_cert needs/);
  });
});
