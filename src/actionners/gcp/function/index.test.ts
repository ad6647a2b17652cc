/**
 * gcp:function against an in-process HTTP server standing in for the Cloud Functions v2 API and
 * the function itself. google-auth-library 10.9.1 hard-codes Google's token URL, so the tokens
 * come from real OAuth2Clients holding preset credentials; the project id is still read from a
 * service-account key file by the real GoogleAuth.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { GoogleAuth, OAuth2Client } from "google-auth-library";
import pino from "pino";
import { configSchema } from "../../../config/schema.js";
import type { ActionInput, PluginEnv } from "../../../plugins/types.js";
import { createGcpFunction, type GcpAuth } from "./index.js";

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
  time: "2024-09-03T16:03:51Z",
  source: "syscall",
  output_fields: { "k8s.pod.name": "nginx" },
  tags: ["shell"],
  context: {},
  trace_id: "trace-1",
};

describe("gcp:function", () => {
  let server: Server;
  let base = "";
  let dir = "";
  let keyFile = "";
  const seen: Seen[] = [];

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString();
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        const json = (status: number, data: unknown) => {
          res.writeHead(status, { "Content-Type": "application/json" });
          res.end(JSON.stringify(data));
        };
        if (req.url === "/v2/projects/talon-project/locations/europe-west1/functions/responder") {
          json(200, { name: "responder", serviceConfig: { uri: `${base}/fn/responder` } });
        } else if (req.url?.startsWith("/v2/")) {
          json(404, { error: { code: 404, message: "Resource not found", status: "NOT_FOUND" } });
        } else if (req.url === "/fn/responder" && req.method === "POST") {
          res.writeHead(200, { "Content-Type": "text/plain" });
          res.end("handled");
        } else {
          json(500, { error: { message: "unexpected" } });
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    dir = await mkdtemp(join(tmpdir(), "talon-gcp-"));
    keyFile = join(dir, "sa.json");
    await writeFile(
      keyFile,
      JSON.stringify({
        type: "service_account",
        project_id: "talon-project",
        private_key_id: "k1",
        private_key: privateKey.export({ type: "pkcs8", format: "pem" }),
        client_email: "talon@talon-project.iam.gserviceaccount.com",
        client_id: "1",
        token_uri: `${base}/token`,
      }),
    );
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  });

  const presetClient = (token: string) =>
    new OAuth2Client({ credentials: { access_token: token, expiry_date: Date.now() + 3_600_000 } });
  const gcpFunction = createGcpFunction((config): GcpAuth => {
    const real = new GoogleAuth({ keyFilename: config.gcp.credentials_path });
    return {
      getProjectId: () => real.getProjectId(),
      getClient: async () => presetClient("access-token-1"),
      getIdTokenClient: async (audience) => presetClient(`id-token-for:${audience}`),
    };
  });

  const env = (): PluginEnv => ({
    config: configSchema.parse({ gcp: { credentials_path: keyFile, functions_endpoint: base } }),
    logger: pino({ level: "silent" }),
    kube: async () => {
      throw new Error("no cluster");
    },
    signal: new AbortController().signal,
  });

  const input = (
    name: string,
    e = env(),
  ): ActionInput<{
    gcp_function_name: string;
    gcp_function_location: string;
    gcp_function_timeout: number;
  }> => ({
    event,
    parameters: gcpFunction.parameters.parse({
      gcp_function_name: name,
      gcp_function_location: "europe-west1",
    }),
    vars: new Map(),
    rule: event.rule,
    action: "Invoke",
    env: e,
  });

  it("reads the project from the credentials file at init", async () => {
    await gcpFunction.init!(env());
  });

  it("checks that the function exists", async () => {
    const e = env();
    await gcpFunction.checks(input("responder", e));
    await assert.rejects(
      gcpFunction.checks(input("missing", e)),
      /the function 'missing' can't be found: 404/,
    );
  });

  it("POSTs the event with an ID token for the function URI", async () => {
    seen.length = 0;
    const result = await gcpFunction.run(input("responder"));
    assert.equal(result.status, "success", result.error);
    assert.deepEqual(result.objects, {
      name: "responder",
      location: "europe-west1",
      function_response: "handled",
      function_response_status: "200",
    });
    const get = seen.find((s) => s.url.startsWith("/v2/"))!;
    assert.equal(get.headers.authorization, "Bearer access-token-1");
    const call = seen.find((s) => s.url === "/fn/responder")!;
    assert.equal(call.headers.authorization, `Bearer id-token-for:${base}/fn/responder`);
    const body = JSON.parse(call.body);
    assert.equal(body.rule, "Terminal shell in container");
    assert.equal(body.trace_id, "trace-1");
  });

  it("validates parameters", () => {
    assert.equal(gcpFunction.parameters.safeParse({ gcp_function_name: "f" }).success, false);
    for (const bad of ["..", "a/../b", "%2e%2e", "a b", "a.b"]) {
      const r = gcpFunction.parameters.safeParse({ gcp_function_name: bad, gcp_function_location: "eu" });
      assert.equal(r.success, false, bad);
      const l = gcpFunction.parameters.safeParse({ gcp_function_name: "f", gcp_function_location: bad });
      assert.equal(l.success, false, bad);
    }
  });

  it("plans the call without a request", async () => {
    seen.length = 0;
    const plan = await gcpFunction.plan!(input("responder"));
    assert.deepEqual(plan.objects, { name: "responder", location: "europe-west1" });
    assert.match(plan.plan, /^call the Cloud Function 'responder' in 'europe-west1'/);
    assert.equal(seen.length, 0);
  });
});
