/** Context `aws` against a local node:http server implementing the IMDSv2 paths it uses. */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { configSchema } from "../../config/schema.js";
import type { FalcoEvent } from "../../events/event.js";
import type { PluginEnv } from "../../plugins/types.js";
import { findContext } from "../registry.js";
import awsContext, { createAwsContext, DEFAULT_IMDS_ENDPOINT, imdsEndpoint } from "./index.js";

const ARN = "arn:aws:iam::123456789012:instance-profile/falco-talon-node";
const PROFILE_ID = "AIPAEXAMPLEPROFILEID";

interface Imds {
  server: Server;
  url: string;
  requests: string[];
  iamInfo: () => { status: number; body: string };
}

/** IMDSv2 as EC2 serves it: a PUT for a token, then GETs that must carry it. */
async function startImds(): Promise<Imds> {
  const tokens = new Set<string>();
  const imds: Imds = {
    server: undefined as unknown as Server,
    url: "",
    requests: [],
    iamInfo: () => ({
      status: 200,
      body: JSON.stringify({
        Code: "Success",
        LastUpdated: "2026-01-01T00:00:00Z",
        InstanceProfileArn: ARN,
        InstanceProfileId: PROFILE_ID,
      }),
    }),
  };
  imds.server = createServer((req: IncomingMessage, res) => {
    imds.requests.push(`${req.method} ${req.url}`);
    if (req.url === "/latest/api/token") {
      if (req.method !== "PUT") return void res.writeHead(405).end();
      const ttl = Number(req.headers["x-aws-ec2-metadata-token-ttl-seconds"]);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21600) return void res.writeHead(400).end();
      const token = randomUUID();
      tokens.add(token);
      res.writeHead(200, {
        "content-type": "text/plain",
        "x-aws-ec2-metadata-token-ttl-seconds": String(ttl),
      });
      return void res.end(token);
    }
    if (req.method !== "GET") return void res.writeHead(405).end();
    if (!tokens.has(String(req.headers["x-aws-ec2-metadata-token"] ?? "")))
      return void res.writeHead(401).end();
    if (req.url === "/latest/meta-data/iam/info") {
      const { status, body } = imds.iamInfo();
      res.writeHead(status, { "content-type": "text/plain" });
      return void res.end(body);
    }
    if (req.url === "/latest/meta-data/placement/region") {
      res.writeHead(200, { "content-type": "text/plain" });
      return void res.end("eu-west-3");
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => imds.server.listen(0, "127.0.0.1", r));
  imds.url = `http://127.0.0.1:${(imds.server.address() as AddressInfo).port}`;
  return imds;
}

function env(config: unknown = configSchema.parse({})): PluginEnv {
  return {
    config: config as PluginEnv["config"],
    logger: pino({ level: "silent" }),
    kube: async () => {
      throw new Error("no cluster");
    },
    signal: new AbortController().signal,
  };
}

const event = {} as FalcoEvent;

describe("context aws", () => {
  let imds: Imds;
  before(async () => {
    imds = await startImds();
  });
  after(() => imds.server.close());

  it("is registered as `aws`", () => {
    assert.equal(findContext("aws"), awsContext);
  });

  it("reads the instance profile and region with an IMDSv2 token", async () => {
    imds.requests.length = 0;
    const values = await createAwsContext({ endpoint: `${imds.url}/` }).fetch(event, env());
    assert.deepEqual(values, {
      "aws.instance_profile_arn": ARN,
      "aws.instance_profile_id": PROFILE_ID,
      "aws.region": "eu-west-3",
    });
    assert.equal(imds.requests[0], "PUT /latest/api/token");
    assert.deepEqual(imds.requests.slice(1).sort(), [
      "GET /latest/meta-data/iam/info",
      "GET /latest/meta-data/placement/region",
    ]);
  });

  it("takes the endpoint from the config key when present, else the SDK's environment variable", async () => {
    const config = {
      ...configSchema.parse({}),
      aws: { ...configSchema.parse({}).aws, imds_endpoint: imds.url },
    };
    const values = await awsContext.fetch(event, env(config));
    assert.equal(values["aws.region"], "eu-west-3");
    assert.equal(
      imdsEndpoint(configSchema.parse({}), { AWS_EC2_METADATA_SERVICE_ENDPOINT: "http://[fd00:ec2::254]" }),
      "http://[fd00:ec2::254]",
    );
    assert.equal(
      imdsEndpoint(config as PluginEnv["config"], { AWS_EC2_METADATA_SERVICE_ENDPOINT: "http://x" }),
      imds.url,
    );
    assert.equal(imdsEndpoint(configSchema.parse({}), {}), DEFAULT_IMDS_ENDPOINT);
  });

  it("fails clearly without an instance profile", async () => {
    imds.iamInfo = () => ({ status: 404, body: "" });
    await assert.rejects(
      createAwsContext({ endpoint: imds.url }).fetch(event, env()),
      new RegExp(
        `the instance metadata service answered 404 for the IAM info at ${imds.url}/latest/meta-data/iam/info`,
      ),
    );
    imds.iamInfo = () => ({ status: 200, body: "not json" });
    await assert.rejects(
      createAwsContext({ endpoint: imds.url }).fetch(event, env()),
      /IAM info that is not JSON/,
    );
  });

  it("fails clearly when no metadata service answers", async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      await assert.rejects(
        createAwsContext({ endpoint: url, timeoutMs: 200 }).fetch(event, env()),
        /can't reach the instance metadata service for a session token at .*: no answer after 200ms/,
      );
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
    await assert.rejects(
      createAwsContext({ endpoint: "http://127.0.0.1:1" }).fetch(event, env()),
      /can't reach the instance metadata service for a session token/,
    );
  });
});
