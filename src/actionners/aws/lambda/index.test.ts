/** aws:lambda against an in-process HTTP server speaking the Lambda and STS wire protocols. */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import pino from "pino";
import { configSchema } from "../../../config/schema.js";
import { JsonNumber } from "../../../events/event.js";
import { talonEventJson } from "../../../events/talon-json.js";
import type { ActionInput, PluginEnv } from "../../../plugins/types.js";
import lambda from "./index.js";

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

const event = {
  id: "e1",
  output: "A shell was spawned",
  priority: "Warning",
  rule: "Terminal shell in container",
  hostname: "node-1",
  time: "2024-09-03T16:03:51.123456789Z",
  source: "syscall",
  output_fields: { "k8s.pod.name": "nginx", "proc.pid": new JsonNumber("12345678901234567890") },
  tags: ["shell"],
  context: { "aws.region": "eu-west-1" },
  trace_id: "trace-1",
};

describe("aws:lambda", () => {
  let server: Server;
  let endpoint = "";
  const seen: Seen[] = [];

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString();
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        const url = new URL(req.url!, "http://x");
        if (req.method === "POST" && url.pathname === "/" && body.includes("GetCallerIdentity")) {
          res.writeHead(200, { "Content-Type": "text/xml" });
          res.end(
            '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>' +
              "<Arn>arn:aws:iam::123456789012:user/talon</Arn><UserId>AIDA</UserId><Account>123456789012</Account>" +
              "</GetCallerIdentityResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
          );
          return;
        }
        if (req.method === "POST" && url.pathname === "/" && body.includes("AssumeRole")) {
          res.writeHead(200, { "Content-Type": "text/xml" });
          res.end(
            '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>' +
              "<AccessKeyId>ASIAASSUMED</AccessKeyId><SecretAccessKey>assumed-secret</SecretAccessKey>" +
              "<SessionToken>assumed-token</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>" +
              "<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/talon/falco-talon</Arn>" +
              "<AssumedRoleId>AROA:falco-talon</AssumedRoleId></AssumedRoleUser></AssumeRoleResult>" +
              "<ResponseMetadata><RequestId>r2</RequestId></ResponseMetadata></AssumeRoleResponse>",
          );
          return;
        }
        const m = /^\/2015-03-31\/functions\/([^/]+)(\/invocations)?$/.exec(url.pathname);
        const name = m ? decodeURIComponent(m[1]!) : "";
        if (name !== "responder" && name !== "crasher") {
          res.writeHead(404, {
            "Content-Type": "application/json",
            "x-amzn-ErrorType": "ResourceNotFoundException",
          });
          res.end(JSON.stringify({ Type: "User", message: `Function not found: ${name}` }));
        } else if (req.method === "GET") {
          res.writeHead(200, { "Content-Type": "application/json" });
          res.end(JSON.stringify({ Configuration: { FunctionName: name, Version: "$LATEST" } }));
        } else if (name === "crasher") {
          res.writeHead(200, { "Content-Type": "application/json", "X-Amz-Function-Error": "Unhandled" });
          res.end('{"errorMessage":"boom"}');
        } else {
          res.writeHead(200, { "Content-Type": "application/json", "X-Amz-Executed-Version": "3" });
          res.end('{"handled":true}');
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const env = (): PluginEnv => ({
    config: configSchema.parse({
      aws: { endpoint, region: "eu-west-1", access_key: "AKIDTEST", secret_key: "secret" },
    }),
    logger: pino({ level: "silent" }),
    kube: async () => {
      throw new Error("no cluster");
    },
    signal: new AbortController().signal,
  });

  const input = (name: string, e = env()): ActionInput<ReturnType<typeof lambda.parameters.parse>> => ({
    event,
    parameters: lambda.parameters.parse({ aws_lambda_name: name }),
    vars: new Map(),
    rule: event.rule,
    action: "Invoke",
    env: e,
  });

  it("serialises the event with exact numbers and its context", () => {
    const payload = talonEventJson(event);
    assert.ok(payload.includes('"proc.pid":12345678901234567890'));
    const parsed = JSON.parse(payload);
    assert.deepEqual(Object.keys(parsed), [
      "output",
      "priority",
      "rule",
      "hostname",
      "time",
      "source",
      "output_fields",
      "context",
      "tags",
      "trace_id",
    ]);
    assert.equal(parsed.context["aws.region"], "eu-west-1");
  });

  it("validates the credentials at init with sts:GetCallerIdentity", async () => {
    seen.length = 0;
    await lambda.init!(env());
    assert.equal(seen.length, 1);
    assert.match(seen[0]!.body, /Action=GetCallerIdentity/);
    assert.match(String(seen[0]!.headers.authorization), /Credential=AKIDTEST\//);
  });

  it("assumes aws.role_arn (with the external id) before validating the credentials", async () => {
    seen.length = 0;
    const config = configSchema.parse({
      aws: {
        endpoint,
        region: "eu-west-1",
        access_key: "AKIDTEST",
        secret_key: "secret",
        role_arn: "arn:aws:iam::123456789012:role/talon",
        external_id: "ext-1",
      },
    });
    await lambda.init!({ ...env(), config });
    assert.equal(seen.length, 2);
    assert.match(seen[0]!.body, /Action=AssumeRole/);
    assert.match(seen[0]!.body, /ExternalId=ext-1/);
    assert.match(String(seen[0]!.headers.authorization), /Credential=AKIDTEST\//);
    assert.match(seen[1]!.body, /Action=GetCallerIdentity/);
    assert.match(String(seen[1]!.headers.authorization), /Credential=ASIAASSUMED\//);
    assert.equal(seen[1]!.headers["x-amz-security-token"], "assumed-token");
  });

  it("checks that the function exists", async () => {
    await lambda.checks(input("responder"));
    await assert.rejects(
      lambda.checks(input("missing")),
      /the function 'missing' can't be found: Function not found/,
    );
  });

  it("invokes with the event payload and qualifier", async () => {
    seen.length = 0;
    const result = await lambda.run(input("responder"));
    assert.equal(result.status, "success", result.error);
    assert.equal(result.result, '{"handled":true}');
    assert.deepEqual(result.objects, { name: "responder", version: "$LATEST" });
    const call = seen.at(-1)!;
    assert.equal(call.method, "POST");
    assert.equal(call.url, "/2015-03-31/functions/responder/invocations?Qualifier=%24LATEST");
    assert.equal(call.headers["x-amz-invocation-type"], "RequestResponse");
    assert.equal(JSON.parse(call.body).trace_id, "trace-1");
  });

  it("reports function errors as failures", async () => {
    const result = await lambda.run(input("crasher"));
    assert.equal(result.status, "failure");
    assert.match(result.error ?? "", /function error \(Unhandled\): \{"errorMessage":"boom"\}/);
  });

  it("plans the invocation without a request", async () => {
    seen.length = 0;
    const plan = await lambda.plan!(input("responder"));
    assert.deepEqual(plan.objects, { name: "responder", version: "$LATEST" });
    assert.match(
      plan.plan,
      /^invoke the Lambda function 'responder' \(qualifier \$LATEST, invocation type RequestResponse\)/,
    );
    assert.equal(seen.length, 0);
  });

  it("validates parameters", () => {
    assert.equal(lambda.parameters.safeParse({}).success, false);
    assert.equal(
      lambda.parameters.safeParse({ aws_lambda_name: "f", aws_lambda_invocation_type: "Sync" }).success,
      false,
    );
  });
});
