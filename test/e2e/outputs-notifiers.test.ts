/**
 * End to end, per output and notifier: an event is POSTed to the real `falco-talon server`
 * process, whose rule uses the plug-in, and the test checks what the real storage server
 * stored (MinIO, fake-gcs-server) or what the real receiver got (HTTP, SMTP).
 * local:file and webhook are covered by server.test.ts.
 */
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { Storage } from "@google-cloud/storage";
import { SMTPServer, type SMTPServerSession } from "smtp-server";
import { leaves, parseMime } from "../notifiers/mime.js";
import { type ReceivedRequest, type Receiver, reply, startReceiver } from "../notifiers/receiver.js";
import { type StartedServer, startServer } from "../outputs/servers.js";
import { createNamespace, createPod, getTestCluster, type TestCluster, waitFor } from "../support/k8s.js";
import { type ServerProcess, startServerProcess } from "../support/server.js";

const KEY_TIME = String.raw`\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z`;

/** A Falco event for `rule` about the pod `pod` in `ns`. */
function falcoEvent(rule: string, ns: string, pod: string, output = `${rule} in ${pod}`): string {
  return JSON.stringify({
    rule,
    priority: "Warning",
    source: "syscall",
    output,
    output_fields: { "k8s.ns.name": ns, "k8s.pod.name": pod },
  });
}

type Log = Record<string, unknown>;

/** The server's final `message=<kind>` log line for `rule` (not `in_progress`), n-th one (0-based). */
function logFor(server: ServerProcess, kind: "action" | "output", rule: string, nth = 0): Promise<Log> {
  let seen = 0;
  return server.waitForLog(
    (l) => l.message === kind && l.rule === rule && l.status !== "in_progress" && seen++ === nth,
    30_000,
  );
}

describe("outputs through the real server process", { timeout: 15 * 60_000 }, () => {
  let cluster: TestCluster;
  let minio: StartedServer;
  let gcs: StartedServer;
  let s3Admin: S3Client;
  let gcsAdmin: Storage;
  let server: ServerProcess;
  let ns: string;
  let expectedLog: string;

  before(async () => {
    [cluster, minio, gcs] = await Promise.all([
      getTestCluster(),
      startServer("minio.sh"),
      startServer("fake-gcs.sh"),
    ]);
    s3Admin = new S3Client({
      endpoint: minio.endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: minio.accessKey!, secretAccessKey: minio.secretKey! },
    });
    gcsAdmin = new Storage({ projectId: "test-project", apiEndpoint: gcs.endpoint });
    // Buckets exist before the server starts: rules are validated against them at load.
    await s3Admin.send(new CreateBucketCommand({ Bucket: "talon-minio" }));
    await s3Admin.send(new CreateBucketCommand({ Bucket: "talon-aws" }));
    await gcsAdmin.createBucket("talon-gcs");
    ns = await createNamespace(cluster.kube, "e2e-out");
    await createPod(cluster.kube, ns, "nginx");
    // What the API server (kwok) returns for these logs; the stored artifact must be exactly this.
    expectedLog = await waitFor("the pod's logs", async () => {
      const text = await cluster.kube.core.readNamespacedPodLog({
        name: "nginx",
        namespace: ns,
        container: "main",
        tailLines: 5,
      });
      return text.includes("from the fake container") ? text : undefined;
    });

    const output = (target: string, parameters: string) => `
      output:
        target: ${target}
        parameters:
${parameters}`;
    const rule = (name: string, event: string, target: string, parameters: string) => `
- rule: ${name}
  match:
    rules:
      - ${event}
  actions:
    - action: Get logs
      actionner: kubernetes:log
      parameters:
        tail_lines: 5${output(target, parameters)}
`;
    server = await startServerProcess({
      config: `
rules_files: [$DIR/rules.yaml]
kubeconfig: ${cluster.kubeconfigPath}
watch_rules: false
deduplication:
  time_window_seconds: 0
minio:
  endpoint: ${minio.endpoint.replace("http://", "")}
  access_key: ${minio.accessKey}
  secret_key: ${minio.secretKey}
aws:
  endpoint: ${minio.endpoint}
  region: us-east-1
  access_key: ${minio.accessKey}
  secret_key: ${minio.secretKey}
gcp:
  endpoint: ${gcs.endpoint}
`,
      rules: {
        "rules.yaml": [
          rule(
            "Logs to MinIO",
            "Collect to minio",
            "minio:s3",
            "          bucket: talon-minio\n          prefix: /captures/logs/",
          ),
          rule(
            "Logs to S3",
            "Collect to s3",
            "aws:s3",
            "          bucket: talon-aws\n          prefix: evidence",
          ),
          rule(
            "Logs to GCS",
            "Collect to gcs",
            "gcp:gcs",
            "          bucket: talon-gcs\n          prefix: /gcs/",
          ),
        ].join(""),
      },
    });
  });

  after(async () => {
    await server?.stop();
    s3Admin?.destroy();
    await Promise.all([minio?.stop(), gcs?.stop()]);
  });

  /** The only object under the bucket, with its bytes and content type (MinIO's view). */
  async function storedS3Object(bucket: string) {
    const list = await s3Admin.send(new ListObjectsV2Command({ Bucket: bucket }));
    const keys = (list.Contents ?? []).map((o) => o.Key ?? "");
    assert.equal(keys.length, 1, `one object in ${bucket}: ${keys.join(", ")}`);
    const got = await s3Admin.send(new GetObjectCommand({ Bucket: bucket, Key: keys[0] }));
    const bytes = Buffer.from(await got.Body!.transformToByteArray());
    return { key: keys[0]!, bytes, contentType: got.ContentType };
  }

  it("kubernetes:log → minio:s3 stores the pod's logs under the normalised prefix", async () => {
    assert.equal((await server.post(falcoEvent("Collect to minio", ns, "nginx"))).status, 200);
    const line = await logFor(server, "output", "Logs to MinIO");
    assert.equal(line.status, "success", JSON.stringify(line));
    assert.equal(line.output_target, "minio:s3");
    const stored = await storedS3Object("talon-minio");
    assert.match(stored.key, new RegExp(`^captures/logs/${KEY_TIME}_${ns}_nginx_log$`));
    assert.equal(line.key, stored.key, "the logged key is the stored key");
    assert.equal(line.prefix, "captures/logs/");
    assert.equal(
      line.output,
      `the file 'log' has been uploaded as the key '${stored.key}' to the bucket 'talon-minio'`,
    );
    assert.equal(stored.bytes.toString("utf8"), expectedLog);
    assert.equal(stored.contentType, "text/plain; charset=utf-8");
  });

  it("kubernetes:log → aws:s3 (aws.endpoint on MinIO) stores the pod's logs", async () => {
    assert.equal((await server.post(falcoEvent("Collect to s3", ns, "nginx"))).status, 200);
    const line = await logFor(server, "output", "Logs to S3");
    assert.equal(line.status, "success", JSON.stringify(line));
    assert.equal(line.output_target, "aws:s3");
    const stored = await storedS3Object("talon-aws");
    assert.match(stored.key, new RegExp(`^evidence/${KEY_TIME}_${ns}_nginx_log$`));
    assert.equal(line.key, stored.key);
    assert.equal(line.region, "us-east-1");
    assert.equal(stored.bytes.toString("utf8"), expectedLog);
    assert.equal(stored.contentType, "text/plain; charset=utf-8");
  });

  it("kubernetes:log → gcp:gcs (fake-gcs-server) stores the pod's logs", async () => {
    assert.equal((await server.post(falcoEvent("Collect to gcs", ns, "nginx"))).status, 200);
    const line = await logFor(server, "output", "Logs to GCS");
    assert.equal(line.status, "success", JSON.stringify(line));
    assert.equal(line.output_target, "gcp:gcs");
    const [files] = await gcsAdmin.bucket("talon-gcs").getFiles();
    assert.equal(files.length, 1);
    const file = files[0]!;
    assert.match(file.name, new RegExp(`^gcs/${KEY_TIME}_${ns}_nginx_log$`));
    assert.equal(line.key, file.name);
    assert.equal(
      line.output,
      `The file 'log' has been uploaded as the key '${file.name}' to the bucket 'talon-gcs'`,
    );
    const [bytes] = await file.download();
    assert.equal(bytes.toString("utf8"), expectedLog);
    const [meta] = await file.getMetadata();
    assert.equal(meta.contentType, "text/plain; charset=utf-8");
  });
});

interface Delivered {
  raw: string;
  from: string;
  to: string[];
}

/** An in-process SMTP server recording delivered messages. */
async function startSmtp(): Promise<{ port: number; delivered: Delivered[]; close(): Promise<void> }> {
  const delivered: Delivered[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, session: SMTPServerSession, cb) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        delivered.push({
          raw: Buffer.concat(chunks).toString("utf8"),
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
        });
        cb();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, "127.0.0.1", () => r()));
  return {
    port: (smtp.server.address() as AddressInfo).port,
    delivered,
    close: () => new Promise<void>((r) => smtp.close(() => r())),
  };
}

/**
 * An Elasticsearch stand-in for what the notifier uses: index templates (GET answers 404
 * until a PUT stores one) and document indexing.
 */
async function startElasticsearch(): Promise<Receiver> {
  const templates = new Map<string, string>();
  return startReceiver((req, res) => {
    const template = /^\/_index_template\/([^/?]+)$/.exec(req.url)?.[1];
    if (template !== undefined && req.method === "GET") {
      const stored = templates.get(template);
      res.writeHead(stored ? 200 : 404, { "Content-Type": "application/json" });
      res.end(stored ?? JSON.stringify({ error: "resource_not_found_exception", status: 404 }));
    } else if (template !== undefined && req.method === "PUT") {
      templates.set(template, req.body);
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ acknowledged: true }));
    } else if (req.method === "POST" && /^\/[^/]+\/_doc$/.test(req.url)) {
      res.writeHead(201, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ result: "created", _id: String(Math.random()) }));
    } else {
      res.writeHead(400);
      res.end("unexpected request");
    }
  });
}

describe("notifiers through the real server process", { timeout: 5 * 60_000 }, () => {
  let cluster: TestCluster;
  let server: ServerProcess;
  let ns: string;
  let slack: Receiver;
  let loki: Receiver;
  let elastic: Receiver;
  let failing: Receiver;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;

  const rule = (name: string, event: string, notifier: string) => `
- rule: ${name}
  match:
    rules:
      - ${event}
  notifiers: [${notifier}]
  actions:
    - action: Label the pod
`;

  before(async () => {
    cluster = await getTestCluster();
    [slack, loki, elastic, failing, smtp] = await Promise.all([
      startReceiver(),
      startReceiver(reply(204)),
      startElasticsearch(),
      startReceiver(reply(500, "boom")),
      startSmtp(),
    ]);
    ns = await createNamespace(cluster.kube, "e2e-notify");
    await createPod(cluster.kube, ns, "nginx");
    await createPod(cluster.kube, ns, "web");
    // Bound to a node that does not exist: labelling its node fails in the action itself.
    await createPod(cluster.kube, ns, "orphan", "no-such-node");
    server = await startServerProcess({
      config: `
rules_files: [$DIR/rules.yaml]
kubeconfig: ${cluster.kubeconfigPath}
watch_rules: false
deduplication:
  time_window_seconds: 0
notifiers:
  slack:
    webhook_url: ${slack.url}/services/T000/B000/secret
    username: Talon e2e
    footer: e2e-footer
    max_attempts: 1
  smtp:
    host_port: 127.0.0.1:${smtp.port}
    from: talon@example.com
    to: "secops@example.com, oncall@example.com"
    format: html
    max_attempts: 1
  loki:
    url: ${loki.url}/
    tenant: team-a
    custom_headers:
      X-Env: e2e
    max_attempts: 1
  elasticsearch:
    url: ${elastic.url}
    user: elastic
    password: changeme
    index: falco-talon
    suffix: daily
    number_of_shards: 1
    number_of_replicas: 1
    custom_headers:
      X-Tenant: blue
      X-Retry: 3
    max_attempts: 1
  webhook:
    url: ${failing.url}/hook
    max_attempts: 2
`,
      rules: {
        "rules.yaml": [
          `
- action: Label the pod
  actionner: kubernetes:label
  parameters:
    labels:
      notified: "true"
`,
          `
- action: Label the node
  actionner: kubernetes:label
  parameters:
    level: node
    labels:
      notified: "true"
`,
          rule("To slack", "Slack event", "slack"),
          rule("To slack node", "Slack node event", "slack").replace("Label the pod", "Label the node"),
          rule("To smtp", "Mail event", "smtp"),
          rule("To loki", "Loki event", "loki"),
          rule("To elasticsearch", "Elastic event", "elasticsearch"),
          rule("To failing webhook", "Failing event", "webhook"),
        ].join(""),
      },
    });
  });

  after(async () => {
    await server?.stop();
    await Promise.all([slack, loki, elastic, failing, smtp].map((r) => r?.close()));
  });

  /** POSTs the event and returns the server's action log line for the rule. */
  async function trigger(event: string, ruleName: string, pod: string, nth = 0, output?: string) {
    assert.equal((await server.post(falcoEvent(event, ns, pod, output))).status, 200);
    return logFor(server, "action", ruleName, nth);
  }

  const nthRequest = (r: Receiver, n: number) =>
    waitFor(`request ${n + 1} at ${r.url}`, async () => r.requests[n] as ReceivedRequest | undefined);

  it("slack: POSTs Talon's attachment layout, green on success and red on failure", async () => {
    const ok = await trigger("Slack event", "To slack", "nginx");
    assert.equal(ok.status, "success", JSON.stringify(ok));
    const req = await nthRequest(slack, 0);
    assert.equal(req.method, "POST");
    assert.equal(req.url, "/services/T000/B000/secret");
    assert.match(String(req.headers["content-type"]), /^application\/json/);
    const body = JSON.parse(req.body);
    assert.equal(body.text, "[*SUCCESS*][*ACTION*] Rule: `To slack` Action: `Label the pod`");
    assert.equal(body.username, "Talon e2e");
    assert.match(body.icon_url, /^https:\/\//);
    assert.equal(body.attachments.length, 1);
    const attachment = body.attachments[0];
    assert.equal(attachment.color, "#23ba47");
    assert.equal(attachment.footer, "e2e-footer");
    const fields = Object.fromEntries(
      (attachment.fields as { title: string; value: string; short: boolean }[]).map((f) => [f.title, f]),
    );
    assert.deepEqual(fields["Rule"], { title: "Rule", value: "`To slack`", short: false });
    assert.deepEqual(fields["Actionner"], { title: "Actionner", value: "`kubernetes:label`", short: true });
    assert.deepEqual(fields["Status"], { title: "Status", value: "`success`", short: true });
    assert.deepEqual(fields["Pod"], { title: "Pod", value: "`nginx`", short: true });
    assert.deepEqual(fields["Namespace"], { title: "Namespace", value: `\`${ns}\``, short: true });
    assert.equal(fields["Event"]?.value, "```Slack event in nginx```");
    assert.equal(fields["Message"]?.value, "`action`");
    assert.equal(fields["Trace ID"]?.value, `\`${ok.trace_id}\``);
    assert.equal(
      fields["Output"]?.value,
      `\`\`\`\nthe pod 'nginx' in the namespace '${ns}' has been labeled\`\`\``,
    );
    assert.equal(fields["Error"], undefined);

    // The pod's node does not exist: the action fails, and the message turns red with the error.
    const failed = await trigger("Slack node event", "To slack node", "orphan");
    assert.equal(failed.status, "failure", JSON.stringify(failed));
    const red = JSON.parse((await nthRequest(slack, 1)).body);
    assert.equal(red.text, "[*FAILURE*][*ACTION*] Rule: `To slack node` Action: `Label the node`");
    assert.equal(red.attachments[0].color, "#e20b0b");
    const redFields = Object.fromEntries(
      (red.attachments[0].fields as { title: string; value: string }[]).map((f) => [f.title, f.value]),
    );
    assert.equal(redFields["Status"], "`failure`");
    assert.equal(redFields["Error"], `\`${failed.error}\``);
    assert.equal(failed.error, "the node 'no-such-node' doesn't exist");
  });

  it("smtp: delivers a multipart message with Talon's subject, text and escaped html", async () => {
    const line = await trigger("Mail event", "To smtp", "nginx", 0, "Mail event <b>in</b> nginx & co");
    assert.equal(line.status, "success", JSON.stringify(line));
    const mail = await waitFor("the e-mail", async () => smtp.delivered[0]);
    assert.equal(mail.from, "talon@example.com");
    assert.deepEqual(mail.to, ["secops@example.com", "oncall@example.com"]);
    const message = parseMime(mail.raw);
    assert.equal(
      message.headers["subject"],
      "[falco-talon][success][action] Action 'Label the pod' Rule 'To smtp'",
    );
    assert.match(message.headers["from"] ?? "", /talon@example\.com/);
    assert.match(message.headers["to"] ?? "", /secops@example\.com, *oncall@example\.com/);
    assert.match(message.headers["content-type"] ?? "", /^multipart\/alternative/);
    const parts = leaves(message);
    const text = parts.find((p) => (p.headers["content-type"] ?? "").startsWith("text/plain"));
    const html = parts.find((p) => (p.headers["content-type"] ?? "").startsWith("text/html"));
    assert.ok(text && html, "text and html alternatives");
    assert.equal(
      // The CRLF before a multipart boundary belongs to the boundary (RFC 2046), not the part.
      text.body.replace(/\r\n$/, "").replace(/\r\n/g, "\n"),
      [
        "Status: success",
        "Message: action",
        "Rule: To smtp",
        "Action: Label the pod",
        "Actionner: kubernetes:label",
        "Event: Mail event <b>in</b> nginx & co",
        `Namespace: ${ns}`,
        "Pod: nginx",
        "Output:",
        `the pod 'nginx' in the namespace '${ns}' has been labeled`,
        `Trace ID: ${line.trace_id}`,
        "",
      ].join("\n"),
    );
    assert.match(html.body, /background-color:#23ba47/);
    assert.match(html.body, /<strong>Pod<\/strong><\/td><td [^>]*>nginx<\/td>/);
    assert.ok(html.body.includes("Mail event &lt;b&gt;in&lt;/b&gt; nginx &amp; co"), "event escaped");
    assert.ok(!html.body.includes("<b>in</b>"));
    assert.ok(html.body.includes(String(line.trace_id)));
  });

  it("loki: pushes one line per notification with bounded labels (no trace id)", async () => {
    const first = await trigger("Loki event", "To loki", "nginx");
    const second = await trigger("Loki event", "To loki", "web", 1);
    const [a, b] = [await nthRequest(loki, 0), await nthRequest(loki, 1)];
    for (const req of [a, b]) {
      assert.equal(req.method, "POST");
      assert.equal(req.url, "/loki/api/v1/push");
      assert.equal(req.headers["content-type"], "application/json");
      assert.equal(req.headers["x-scope-orgid"], "team-a");
      assert.equal(req.headers["x-env"], "e2e");
    }
    const pushes = [a, b].map((r) => JSON.parse(r.body));
    const labels = {
      status: "success",
      rule: "to_loki",
      action: "label_the_pod",
      actionner: "kubernetes:label",
      message: "action",
    };
    // Both pods, one stream: neither the trace id nor the pod is a label.
    for (const push of pushes) {
      assert.equal(push.streams.length, 1);
      assert.deepEqual(push.streams[0].stream, labels);
    }
    const lines = pushes.map((p) => p.streams[0].values[0] as [string, string]);
    for (const [ts] of lines) {
      assert.match(ts, /^\d{19}$/);
      assert.ok(Math.abs(Number(BigInt(ts) / 1_000_000n) - Date.now()) < 60_000);
    }
    const byPod = (pod: string) => lines.find(([, l]) => l.includes(`pod=${pod}`))![1];
    for (const [log, pod] of [
      [first, "nginx"],
      [second, "web"],
    ] as const) {
      assert.equal(
        byPod(pod),
        `the pod '${pod}' in the namespace '${ns}' has been labeled trace_id=${log.trace_id} namespace=${ns} pod=${pod}`,
      );
    }
  });

  it("elasticsearch: creates the index template once, then indexes documents, with auth and headers", async () => {
    const startedAt = new Date();
    const first = await trigger("Elastic event", "To elasticsearch", "nginx");
    await waitFor("the first document", async () => elastic.requests.find((r) => r.method === "POST"));
    await trigger("Elastic event", "To elasticsearch", "web", 1);
    await waitFor("the second document", async () =>
      elastic.requests.filter((r) => r.method === "POST").length === 2 ? true : undefined,
    );
    assert.deepEqual(
      elastic.requests.map((r) => `${r.method} ${r.url.replace(/\d{4}\.\d{2}\.\d{2}/, "<day>")}`),
      [
        "GET /_index_template/falco-talon",
        "PUT /_index_template/falco-talon",
        "POST /falco-talon-<day>/_doc",
        "POST /falco-talon-<day>/_doc",
      ],
    );
    // The daily index is the UTC date (either side of midnight, for a run that spans it).
    const days = [startedAt, new Date()].map(
      (d) =>
        `${d.getUTCFullYear()}.${String(d.getUTCMonth() + 1).padStart(2, "0")}.${String(d.getUTCDate()).padStart(2, "0")}`,
    );
    for (const req of elastic.requests.filter((r) => r.method === "POST")) {
      assert.ok(
        days.some((d) => req.url === `/falco-talon-${d}/_doc`),
        `${req.url}: index of ${days.join(" or ")}`,
      );
    }
    const basic = `Basic ${Buffer.from("elastic:changeme").toString("base64")}`;
    for (const req of elastic.requests) {
      assert.equal(req.headers["authorization"], basic, `${req.method} ${req.url}`);
      assert.equal(req.headers["x-tenant"], "blue");
      assert.equal(req.headers["x-retry"], "3");
    }
    const template = JSON.parse(elastic.requests[1]!.body);
    assert.deepEqual(template.index_patterns, ["falco-talon-*", "falco-talon"]);
    assert.deepEqual(template.template.settings, { number_of_shards: 1, number_of_replicas: 1 });
    assert.equal(template.template.mappings.properties.trace_id.type, "keyword");
    const doc = JSON.parse(elastic.requests[2]!.body);
    assert.equal(doc.status, "success");
    assert.equal(doc.message, "action");
    assert.equal(doc.rule, "To elasticsearch");
    assert.equal(doc.action, "Label the pod");
    assert.equal(doc.actionner, "kubernetes:label");
    assert.equal(doc.trace_id, first.trace_id);
    assert.equal(doc.event, "Elastic event in nginx");
    assert.equal(doc.priority, "Warning");
    assert.deepEqual(doc.objects, { Namespace: ns, Pod: "nginx" });
    assert.ok(!Number.isNaN(Date.parse(doc.time)));
    assert.equal(JSON.parse(elastic.requests[3]!.body).objects.Pod, "web");
  });

  it("a notifier answered with 500 is counted as a failure; the action still succeeds", async () => {
    const line = await trigger("Failing event", "To failing webhook", "nginx");
    assert.equal(line.status, "success", JSON.stringify(line));
    const pod = await cluster.kube.core.readNamespacedPod({ name: "nginx", namespace: ns });
    assert.equal(pod.metadata?.labels?.["notified"], "true");
    const failure = await server.waitForLog(
      (l) => l.message === "notification" && l.notifier === "webhook" && l.status === "failure",
    );
    assert.equal(failure.rule, "To failing webhook");
    assert.match(String(failure.error), /500 Internal Server Error \(after 2 attempts\)/);
    assert.ok(!String(failure.error).includes("/hook"), "no URL path in the error");
    assert.equal(failing.requests.length, 2, "bounded retries");
    const metrics = (await (await fetch(`${server.url}/metrics`)).text()).split("\n");
    const notified = metrics.filter(
      (m) =>
        m.startsWith("falcosecurity_falco_talon_notifications_total{") && m.includes('notifier="webhook"'),
    );
    assert.equal(notified.length, 1, notified.join("\n"));
    assert.match(notified[0]!, /rule="To failing webhook"/);
    assert.match(notified[0]!, /status="failure"/);
    assert.match(notified[0]!, /\} 1$/);
    assert.ok(
      metrics.some(
        (m) =>
          m.startsWith("falcosecurity_falco_talon_actions_total{") &&
          m.includes('rule="To failing webhook"') &&
          m.includes('status="success"') &&
          m.endsWith(" 1"),
      ),
    );
  });
});
