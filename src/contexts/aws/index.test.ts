/** The aws context against an in-process server speaking the IMDSv2 protocol. */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import pino from "pino";
import { configSchema } from "../../config/schema.js";
import type { FalcoEvent } from "../../events/event.js";
import type { PluginEnv } from "../../plugins/types.js";
import { createAwsContext } from "./index.js";

const event = {} as FalcoEvent;
const env: PluginEnv = {
  config: configSchema.parse({}),
  logger: pino({ level: "silent" }),
  kube: () => {
    throw new Error("no cluster");
  },
  signal: new AbortController().signal,
};

describe("aws context", () => {
  let server: Server;
  let base = "";
  let hang = false;

  before(async () => {
    server = createServer((req, res) => {
      if (hang) return;
      if (req.method === "PUT" && req.url === "/latest/api/token") {
        assert.equal(req.headers["x-aws-ec2-metadata-token-ttl-seconds"], "60");
        res.end("session-token");
        return;
      }
      if (req.headers["x-aws-ec2-metadata-token"] !== "session-token") {
        res.writeHead(401);
        res.end();
      } else if (req.url === "/latest/meta-data/iam/info") {
        res.end(
          JSON.stringify({
            Code: "Success",
            InstanceProfileArn: "arn:aws:iam::123456789012:instance-profile/talon",
            InstanceProfileId: "AIPAEXAMPLE",
          }),
        );
      } else if (req.url === "/latest/meta-data/placement/region") {
        res.end("eu-west-3");
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });

  it("reads the instance profile and region with an IMDSv2 token", async () => {
    assert.deepEqual(await createAwsContext(base).fetch(event, env), {
      "aws.instance_profile_arn": "arn:aws:iam::123456789012:instance-profile/talon",
      "aws.instance_profile_id": "AIPAEXAMPLE",
      "aws.region": "eu-west-3",
    });
  });

  it("fails with a clear error when the metadata service does not answer", async () => {
    hang = true;
    try {
      await assert.rejects(
        createAwsContext(base).fetch(event, env),
        /can't read the AWS instance metadata: no answer/,
      );
    } finally {
      hang = false;
    }
  });
});
