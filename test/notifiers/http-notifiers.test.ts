/** slack, loki and elasticsearch against real node:http receivers checking what those services expect. */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import elasticsearch from "../../src/notifiers/elasticsearch/index.js";
import loki from "../../src/notifiers/loki/index.js";
import slack from "../../src/notifiers/slack/index.js";
import { sampleNotification, testEnv } from "./env.js";
import { type Receiver, reply, startReceiver } from "./receiver.js";

let rx: Receiver;
before(async () => {
  rx = await startReceiver();
});
after(() => rx.close());
beforeEach(() => {
  rx.requests.length = 0;
  rx.queue.length = 0;
  rx.fallback = reply(200, "ok");
});

describe("slack", () => {
  it("POSTs a JSON message to the webhook URL", async () => {
    const settings = slack.parameters.parse({ webhook_url: `${rx.url}/services/T000/B000/XXXX` });
    await slack.send(sampleNotification(), settings, testEnv());
    const [r] = rx.requests;
    assert.equal(r?.method, "POST");
    assert.equal(r?.url, "/services/T000/B000/XXXX");
    assert.match(String(r?.headers["content-type"]), /^application\/json/);
    const body = JSON.parse(r!.body);
    assert.equal(body.username, "Falco Talon");
    assert.match(body.text, /^\[\*SUCCESS\*\]\[\*ACTION\*\] Rule: `Terminal shell in container`/);
    assert.equal(body.attachments[0].color, "#23ba47");
    assert.ok(body.attachments[0].fields.some((f: { title: string }) => f.title === "Pod"));
  });

  it("surfaces Slack's error answers", async () => {
    rx.fallback = reply(403, "invalid_token");
    const settings = slack.parameters.parse({ webhook_url: `${rx.url}/services/x` });
    await assert.rejects(slack.send(sampleNotification(), settings, testEnv()), /access denied/);
  });
});

describe("loki", () => {
  it("pushes to /loki/api/v1/push with auth, tenant and custom headers", async () => {
    rx.fallback = reply(204);
    const settings = loki.parameters.parse({
      url: `${rx.url}/`,
      user: "loki-user",
      api_key: "secret",
      tenant: "team-a",
      custom_headers: { "X-Custom": 7 },
    });
    await loki.send(sampleNotification(), settings, testEnv());
    const [r] = rx.requests;
    assert.equal(r?.method, "POST");
    assert.equal(r?.url, "/loki/api/v1/push");
    assert.equal(r?.headers["content-type"], "application/json");
    assert.equal(r?.headers.authorization, `Basic ${Buffer.from("loki-user:secret").toString("base64")}`);
    assert.equal(r?.headers["x-scope-orgid"], "team-a");
    assert.equal(r?.headers["x-custom"], "7");
    const body = JSON.parse(r!.body);
    const stream = body.streams[0];
    assert.deepEqual(stream.stream, {
      status: "success",
      rule: "terminal_shell_in_container",
      action: "terminate_the_pod",
      actionner: "kubernetes:terminate",
      message: "action",
    });
    assert.equal(stream.values.length, 1);
    const [ts, line] = stream.values[0];
    assert.match(ts, /^\d{19}$/);
    assert.match(line, /trace_id=4bf92f3577b34da6a3ce929d0e0e4736 namespace=default pod=nginx$/);
  });

  it("sends no auth header without both user and api_key", async () => {
    rx.fallback = reply(204);
    await loki.send(sampleNotification(), loki.parameters.parse({ url: rx.url, user: "u" }), testEnv());
    assert.equal(rx.requests[0]?.headers.authorization, undefined);
    assert.equal(rx.requests[0]?.headers["x-scope-orgid"], undefined);
  });
});

describe("elasticsearch", () => {
  it("creates the index template once, then indexes with auth and headers on every request", async () => {
    let templateExists = false;
    rx.fallback = (req, res) => {
      if (req.method === "GET" && req.url === "/_index_template/talon-a") {
        res.writeHead(templateExists ? 200 : 404, { "Content-Type": "application/json" });
        res.end(templateExists ? '{"index_templates":[]}' : '{"error":"not found"}');
      } else if (req.method === "PUT" && req.url === "/_index_template/talon-a") {
        templateExists = true;
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end('{"acknowledged":true}');
      } else if (req.method === "POST" && /^\/talon-a-\d{4}\.\d{2}\.\d{2}\/_doc$/.test(req.url)) {
        res.writeHead(201, { "Content-Type": "application/json" });
        res.end('{"result":"created"}');
      } else {
        res.writeHead(400);
        res.end(`unexpected ${req.method} ${req.url}`);
      }
    };
    const settings = elasticsearch.parameters.parse({
      url: rx.url,
      user: "elastic",
      password: "changeme",
      index: "talon-a",
      number_of_shards: 1,
      number_of_replicas: 2,
      custom_headers: { "X-Tenant": "blue" },
    });
    const env = testEnv();
    await elasticsearch.send(sampleNotification(), settings, env);
    await elasticsearch.send(sampleNotification({ status: "failure", error: "boom" }), settings, env);
    assert.deepEqual(
      rx.requests.map((r) => r.method),
      ["GET", "PUT", "POST", "POST"],
    );
    const auth = `Basic ${Buffer.from("elastic:changeme").toString("base64")}`;
    for (const r of rx.requests) {
      assert.equal(r.headers.authorization, auth, `${r.method} ${r.url}`);
      assert.equal(r.headers["x-tenant"], "blue", `${r.method} ${r.url}`);
    }
    const template = JSON.parse(rx.requests[1]!.body);
    assert.deepEqual(template.index_patterns, ["talon-a-*", "talon-a"]);
    assert.deepEqual(template.template.settings, { number_of_shards: 1, number_of_replicas: 2 });
    assert.equal(template.template.mappings.properties.time.type, "date");
    const doc = JSON.parse(rx.requests[3]!.body);
    assert.equal(doc.status, "failure");
    assert.equal(doc.error, "boom");
    assert.equal(doc.time, "2024-09-03T16:03:51.123Z");
    assert.deepEqual(doc.objects, { Namespace: "default", Pod: "nginx" });
  });

  it("skips the template when disabled and uses the suffix", async () => {
    rx.fallback = reply(201, "{}");
    const settings = elasticsearch.parameters.parse({
      url: rx.url,
      index: "talon-b",
      suffix: "none",
      create_index_template: false,
    });
    await elasticsearch.send(sampleNotification(), settings, testEnv());
    assert.deepEqual(
      rx.requests.map((r) => `${r.method} ${r.url}`),
      ["POST /talon-b/_doc"],
    );
    assert.equal(rx.requests[0]?.headers.authorization, undefined);
  });

  it("retries the template after a failure", async () => {
    rx.queue.push(reply(401, "no"));
    const settings = elasticsearch.parameters.parse({ url: rx.url, index: "talon-c", max_attempts: 1 });
    const env = testEnv();
    await assert.rejects(
      elasticsearch.send(sampleNotification(), settings, env),
      /index template 'talon-c'.*authentication error/,
    );
    rx.fallback = reply(200, "{}");
    await elasticsearch.send(sampleNotification(), settings, env);
    await elasticsearch.send(sampleNotification(), settings, env);
    assert.deepEqual(
      rx.requests.map((r) => r.method),
      ["GET", "GET", "POST", "POST"],
    );
  });
});
