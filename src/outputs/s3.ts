/**
 * S3 plumbing behind aws:s3 and minio:s3 (their output is built by s3-output.ts): client
 * construction from the config (memoised per config object, so one connection pool per target
 * instead of one per upload), multipart uploads through lib-storage, and prefix/key handling
 * without Talon's leading-`/` bug.
 */
import type { S3Client, S3ClientConfig } from "@aws-sdk/client-s3";
import type { Config } from "../config/schema.js";
import { errorText } from "../error-text.js";
import { once } from "../once.js";
import type { Artifact } from "../plugins/types.js";
import { awsSdkConfig } from "./aws/sdk.js";
import { contentTypeFor } from "./key.js";

/** The S3 SDK, loaded when an S3 output first builds a client (it is large and optional). */
const loadS3 = once(() => import("@aws-sdk/client-s3"));

/** `a/b/` from `/a/b/`, `a/b` or `a/b//`; "" stays "" (never a leading `/` in keys). */
export function normalisePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, "");
  return trimmed === "" ? "" : `${trimmed}/`;
}

const clients = new WeakMap<Config, Map<string, S3Client>>();

function memoClient(config: Config, id: string, build: () => S3Client): S3Client {
  let byId = clients.get(config);
  if (byId === undefined) {
    byId = new Map();
    clients.set(config, byId);
  }
  let client = byId.get(id);
  if (client === undefined) {
    client = build();
    byId.set(id, client);
  }
  return client;
}

/** The S3 client for aws:s3 (settings from {@link awsSdkConfig}; path-style with a custom endpoint). */
export async function awsS3Client(config: Config, regionOverride = ""): Promise<S3Client> {
  const { S3Client } = await loadS3();
  const region = regionOverride || config.aws.region;
  return memoClient(config, `aws ${region}`, () => {
    const base: S3ClientConfig = awsSdkConfig(config, regionOverride);
    if (base.endpoint !== undefined) base.forcePathStyle = true;
    return new S3Client(base);
  });
}

/** `http(s)://host:port` from `minio.endpoint`, which may omit the scheme (minio-go style). */
export function minioEndpointUrl(endpoint: string, useSsl: boolean): string {
  if (/^https?:\/\//i.test(endpoint)) return endpoint.replace(/\/+$/, "");
  return `${useSsl ? "https" : "http"}://${endpoint.replace(/\/+$/, "")}`;
}

export async function minioS3Client(config: Config): Promise<S3Client> {
  const m = config.minio;
  if (m.endpoint === "") throw new Error("minio.endpoint is not configured");
  const { S3Client } = await loadS3();
  return memoClient(config, "minio", () => {
    return new S3Client({
      endpoint: minioEndpointUrl(m.endpoint, m.use_ssl),
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: m.access_key, secretAccessKey: m.secret_key },
    });
  });
}

/** Throws `the bucket '<b>' does not exist` when HeadBucket says so, else a clear error. */
export async function checkBucket(client: S3Client, bucket: string): Promise<void> {
  const { HeadBucketCommand } = await loadS3();
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (err) {
    const e = err as Error & { $metadata?: { httpStatusCode?: number } };
    if (e.name === "NotFound" || e.name === "NoSuchBucket" || e.$metadata?.httpStatusCode === 404) {
      throw new Error(`the bucket '${bucket}' does not exist`);
    }
    throw new Error(`can't check the bucket '${bucket}': ${errorText(err)}`);
  }
}

/** Multipart above 8 MiB; parts of 8 MiB, two in flight. Aborts with the signal. */
export async function uploadArtifact(
  client: S3Client,
  bucket: string,
  key: string,
  artifact: Artifact,
  signal: AbortSignal,
): Promise<void> {
  const { Upload } = await import("@aws-sdk/lib-storage");
  const upload = new Upload({
    client,
    params: {
      Bucket: bucket,
      Key: key,
      Body: artifact.bytes,
      ContentType: artifact.contentType ?? contentTypeFor(artifact.name),
    },
    partSize: 8 * 1024 * 1024,
    queueSize: 2,
    leavePartsOnError: false,
  });
  const onAbort = () => void upload.abort().catch(() => {});
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    await upload.done();
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/** A readable message from SDK errors (some only carry a name). */
export function s3ErrorText(err: unknown): string {
  const e = err as Error & { Code?: string };
  return e.message && e.message !== "UnknownError" ? e.message : (e.Code ?? e.name ?? String(err));
}
