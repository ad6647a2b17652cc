/** smtp against a real in-process smtp-server; the delivered message is parsed. */
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, beforeEach, describe, it } from "node:test";
import { SMTPServer, type SMTPServerSession } from "smtp-server";
import smtp from "../../src/notifiers/smtp/index.js";
import { sampleNotification, testEnv } from "./env.js";
import { leaves, parseMime } from "./mime.js";

interface Delivered {
  raw: string;
  from: string;
  to: string[];
  user?: string;
  secure: boolean;
}

describe("smtp notifier against a real SMTP server", () => {
  let server: SMTPServer;
  let port = 0;
  const delivered: Delivered[] = [];
  let authAttempts = 0;

  before(async () => {
    server = new SMTPServer({
      authOptional: true,
      allowInsecureAuth: true,
      // smtp-server ships a self-signed certificate for STARTTLS.
      onAuth(auth, _session, cb) {
        authAttempts++;
        if (auth.username === "talon" && auth.password === "s3cret") cb(null, { user: auth.username });
        else cb(new Error("Invalid username or password"));
      },
      onData(stream, session: SMTPServerSession, cb) {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          delivered.push({
            raw: Buffer.concat(chunks).toString("utf8"),
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            to: session.envelope.rcptTo.map((r) => r.address),
            user: session.user as string | undefined,
            secure: session.secure,
          });
          cb();
        });
      },
      logger: false,
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    port = (server.server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    delivered.length = 0;
    authAttempts = 0;
  });

  const settings = (extra: Record<string, unknown> = {}) =>
    smtp.parameters.parse({
      host_port: `127.0.0.1:${port}`,
      from: "falco@example.com",
      to: "user@example.com",
      ...extra,
    });

  // Talon's text email: its subject line and plain-text body, no authentication.
  it("sends the text format with Talon's subject and plain-text body, without auth", async () => {
    await smtp.send(
      sampleNotification({
        status: "success",
        message: "action completed" as "action",
        rule: "Terminal shell in container",
        action: "notify",
        trace_id: "trace-123",
        objects: { Pod: "nginx" },
        error: "none",
        result: "done",
        output: "out",
        output_target: "local:file",
      }),
      settings({ format: "text" }),
      testEnv(),
    );
    assert.equal(delivered.length, 1);
    const d = delivered[0]!;
    assert.equal(authAttempts, 0);
    assert.equal(d.user, undefined);
    assert.equal(d.secure, false);
    assert.equal(d.from, "falco@example.com");
    assert.deepEqual(d.to, ["user@example.com"]);
    const mail = parseMime(d.raw);
    assert.ok(
      mail.headers["subject"]?.startsWith("[falco-talon][success][action completed]"),
      mail.headers["subject"],
    );
    assert.equal(
      mail.headers["subject"],
      "[falco-talon][success][action completed] OutputTarget 'local:file' Action 'notify' Rule 'Terminal shell in container'",
    );
    assert.equal(mail.headers["from"], "falco@example.com");
    assert.equal(mail.headers["to"], "user@example.com");
    assert.ok(!Number.isNaN(Date.parse(mail.headers["date"] ?? "")));
    assert.match(mail.headers["content-type"] ?? "", /^text\/plain/);
    for (const line of [
      "Status: success",
      "Rule: Terminal shell in container",
      "Action: notify",
      "Pod: nginx",
      "Trace ID: trace-123",
    ]) {
      assert.ok(mail.body.includes(line), `missing '${line}' in:\n${mail.body}`);
    }
  });

  it("sends html with a text alternative (html is the default) to several recipients", async () => {
    await smtp.send(
      sampleNotification({ status: "failure", error: "<script>x</script>" }),
      settings({ to: "a@example.com, b@example.com" }),
      testEnv(),
    );
    const d = delivered[0]!;
    assert.deepEqual(d.to, ["a@example.com", "b@example.com"]);
    const mail = parseMime(d.raw);
    assert.match(mail.headers["content-type"] ?? "", /^multipart\/alternative/);
    const parts = leaves(mail);
    const text = parts.find((p) => p.headers["content-type"]?.startsWith("text/plain"));
    const html = parts.find((p) => p.headers["content-type"]?.startsWith("text/html"));
    assert.ok(text?.body.includes("Status: failure"));
    assert.ok(html?.body.includes("#e20b0b"));
    assert.ok(html?.body.includes("&lt;script&gt;x&lt;/script&gt;"));
    assert.ok(!html?.body.includes("<script>"));
    assert.ok(html?.body.includes("nginx"));
  });

  it("upgrades with STARTTLS when tls is set and authenticates when a user is set", async () => {
    await smtp.send(
      sampleNotification(),
      settings({ tls: true, tls_skip_verify: true, user: "talon", password: "s3cret" }),
      testEnv(),
    );
    const d = delivered[0]!;
    assert.equal(d.secure, true);
    assert.equal(d.user, "talon");
    assert.equal(authAttempts, 1);
  });

  it("refuses an untrusted certificate unless told otherwise", async () => {
    await assert.rejects(
      smtp.send(sampleNotification(), settings({ tls: true }), testEnv()),
      /smtp 127\.0\.0\.1:\d+: .*(certificate|self.signed)/i,
    );
    assert.equal(delivered.length, 0);
  });

  it("fails clearly on bad credentials without retrying", async () => {
    await assert.rejects(
      smtp.send(sampleNotification(), settings({ user: "talon", password: "wrong" }), testEnv()),
      /Invalid username or password/,
    );
    assert.equal(authAttempts, 1);
  });

  it("retries connection failures a bounded number of times", async () => {
    const closed = new SMTPServer({ logger: false });
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", () => resolve()));
    const deadPort = (closed.server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await assert.rejects(
      smtp.send(
        sampleNotification(),
        settings({ host_port: `127.0.0.1:${deadPort}`, max_attempts: 2 }),
        testEnv(),
      ),
      /ECONNREFUSED.*\(after 2 attempts\)|\(after 2 attempts\)/,
    );
  });
});
