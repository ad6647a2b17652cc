/** aws:s3 and minio:s3 against a real MinIO server (scripts/servers/minio.sh). */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import awsS3 from "../../src/outputs/aws/s3/index.js";
import minioS3 from "../../src/outputs/minio/s3/index.js";
import { testEnv } from "../notifiers/env.js";
import { type StartedServer, startServer } from "./servers.js";

const KEY_RE = /\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z_/;

describe("S3 outputs against a real MinIO", { timeout: 20 * 60_000 }, () => {
  let minio: StartedServer;
  let admin: S3Client;

  before(async () => {
    minio = await startServer("minio.sh");
    admin = new S3Client({
      endpoint: minio.endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: minio.accessKey!, secretAccessKey: minio.secretKey! },
    });
    await admin.send(new CreateBucketCommand({ Bucket: "talon" }));
  });
  after(async () => {
    admin?.destroy();
    await minio?.stop();
  });

  const minioEnv = () =>
    testEnv({
      minio: {
        endpoint: minio.endpoint.replace("http://", ""),
        access_key: minio.accessKey!,
        secret_key: minio.secretKey!,
      },
    });

  async function fetchObject(key: string) {
    const head = await admin.send(new HeadObjectCommand({ Bucket: "talon", Key: key }));
    const got = await admin.send(new GetObjectCommand({ Bucket: "talon", Key: key }));
    return { head, bytes: Buffer.from(await got.Body!.transformToByteArray()) };
  }

  it("minio:s3 checks the bucket", async () => {
    const env = minioEnv();
    await minioS3.checks({ bucket: "talon", prefix: "" }, env);
    await assert.rejects(minioS3.checks({ bucket: "missing-bucket", prefix: "" }, env), {
      message: "the bucket 'missing-bucket' does not exist",
    });
  });

  it("minio:s3 uploads a pcap with its content type and no leading slash", async () => {
    const bytes = randomBytes(4096);
    const result = await minioS3.run({
      artifact: { name: "tcpdump.pcap", objects: { namespace: "default", pod: "nginx" }, bytes },
      parameters: { bucket: "talon", prefix: "" },
      env: minioEnv(),
    });
    assert.equal(result.status, "success", result.error);
    const key = result.objects["key"]!;
    assert.match(key, KEY_RE);
    assert.ok(!key.startsWith("/"));
    assert.ok(key.endsWith("_default_nginx_tcpdump.pcap"));
    assert.equal(
      result.output,
      `the file 'tcpdump.pcap' has been uploaded as the key '${key}' to the bucket 'talon'`,
    );
    const { head, bytes: stored } = await fetchObject(key);
    assert.deepEqual(stored, bytes);
    assert.equal(head.ContentType, "application/vnd.tcpdump.pcap");
  });

  it("minio:s3 normalises prefixes", async () => {
    const result = await minioS3.run({
      artifact: { name: "log", objects: { hostname: "node-1" }, bytes: Buffer.from("line 1\nline 2\n") },
      parameters: { bucket: "talon", prefix: "/captures/logs/" },
      env: minioEnv(),
    });
    assert.equal(result.status, "success", result.error);
    assert.equal(result.objects["prefix"], "captures/logs/");
    assert.match(result.objects["key"]!, /^captures\/logs\/.*_node-1_log$/);
    const { head, bytes } = await fetchObject(result.objects["key"]!);
    assert.equal(bytes.toString(), "line 1\nline 2\n");
    assert.equal(head.ContentType, "text/plain; charset=utf-8");
  });

  it("minio:s3 reports a failure for a missing bucket", async () => {
    const result = await minioS3.run({
      artifact: { name: "log", objects: {}, bytes: Buffer.from("x") },
      parameters: { bucket: "nope", prefix: "" },
      env: minioEnv(),
    });
    assert.equal(result.status, "failure");
    assert.match(result.error ?? "", /bucket does not exist/i);
  });

  it("aws:s3 uploads a large artifact as multipart through aws.* settings", async () => {
    const env = testEnv({
      aws: {
        endpoint: minio.endpoint,
        region: "us-east-1",
        access_key: minio.accessKey!,
        secret_key: minio.secretKey!,
      },
    });
    const bytes = randomBytes(20 * 1024 * 1024 + 123);
    const result = await awsS3.run({
      artifact: { name: "sysdig.scap.gz", objects: { namespace: "prod", pod: "api", job: "j" }, bytes },
      parameters: { bucket: "talon", prefix: "sysdig", region: "" },
      env,
    });
    assert.equal(result.status, "success", result.error);
    assert.deepEqual(Object.keys(result.objects).sort(), ["bucket", "file", "key", "prefix", "region"]);
    assert.equal(result.objects["region"], "us-east-1");
    const { head, bytes: stored } = await fetchObject(result.objects["key"]!);
    assert.equal(stored.length, bytes.length);
    assert.ok(stored.equals(bytes));
    assert.equal(head.ContentType, "application/gzip");
    // A multipart ETag ends with -<number of parts>.
    assert.match(head.ETag ?? "", /-3"?$/);
  });
});
