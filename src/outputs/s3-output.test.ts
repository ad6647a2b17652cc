import assert from "node:assert/strict";
import { describe, it } from "node:test";
import pino from "pino";
import { configSchema } from "../config/schema.js";
import type { PluginEnv } from "../plugins/types.js";
import awsS3 from "./aws/s3/index.js";
import minioS3 from "./minio/s3/index.js";
import { s3Output } from "./s3-output.js";

const env = (config: Record<string, unknown> = {}): PluginEnv => ({
  config: configSchema.parse(config),
  logger: pino({ level: "silent" }),
  kube: async () => {
    throw new Error("no cluster in this test");
  },
  signal: new AbortController().signal,
});

const artifact = { name: "log", objects: { namespace: "prod", pod: "api" }, bytes: Buffer.from("x") };

describe("S3 outputs", () => {
  it("aws:s3 and minio:s3 keep their own parameters and info", () => {
    assert.equal(awsS3.parameters.safeParse({}).success, false);
    assert.deepEqual(awsS3.parameters.parse({ bucket: "b" }), { bucket: "b", prefix: "", region: "" });
    assert.deepEqual(minioS3.parameters.parse({ bucket: "b" }), { bucket: "b", prefix: "" });
    assert.equal(`${awsS3.info.category}:${awsS3.info.name}`, "aws:s3");
    assert.equal(`${minioS3.info.category}:${minioS3.info.name}`, "minio:s3");
  });

  it("minio:s3 reports a missing endpoint as a failed upload, without a region", async () => {
    const result = await minioS3.run({ artifact, parameters: { bucket: "b", prefix: "/files" }, env: env() });
    assert.equal(result.status, "failure");
    assert.equal(result.error, "minio.endpoint is not configured");
    assert.deepEqual(Object.keys(result.objects), ["file", "bucket", "prefix", "key"]);
    assert.equal(result.objects["prefix"], "files/");
    assert.match(result.objects["key"] ?? "", /^files\/.*_prod_api_log$/);
  });

  it("names the region when the output has one, and checks the bucket only when asked", async () => {
    let clients = 0;
    const output = s3Output({
      info: awsS3.info,
      parameters: awsS3.parameters,
      client: async () => {
        clients++;
        throw new Error("no S3 here");
      },
      checkBucket: false,
      region: (config, p) => p.region || config.aws.region,
    });
    await output.checks({ bucket: "b", prefix: "", region: "" }, env());
    assert.equal(clients, 0);
    const result = await output.run({
      artifact,
      parameters: { bucket: "b", prefix: "", region: "" },
      env: env({ aws: { region: "eu-west-1" } }),
    });
    assert.equal(clients, 1);
    assert.deepEqual(result.status, "failure");
    assert.equal(result.error, "no S3 here");
    assert.equal(result.objects["region"], "eu-west-1");
  });
});
