/**
 * gcp:gcs — uploads artifacts to a Google Cloud Storage bucket.
 * Unlike Talon, `gcp.credentials_path` is read as a file, and upload errors (which GCS
 * reports when the upload commits) are surfaced.
 */
import type { Storage } from "@google-cloud/storage";
import { z } from "zod";
import type { Config } from "../../../config/schema.js";
import { errorText } from "../../../error-text.js";
import { once } from "../../../once.js";
import { defineOutput } from "../../../plugins/define.js";
import { buildObjectKey, contentTypeFor } from "../../key.js";
import { normalisePrefix } from "../../s3.js";

const parameters = z.object({
  bucket: z.string().min(1, "bucket is required"),
  prefix: z.string().default(""),
});

/** The Cloud Storage SDK, loaded when the output is first checked or run (it is large and optional). */
const loadStorage = once(() => import("@google-cloud/storage"));

/** One client (and connection pool) per configuration; `gcp.endpoint` targets emulators. */
const clients = new WeakMap<Config, Storage>();

export async function gcsClient(config: Config): Promise<Storage> {
  const { Storage } = await loadStorage();
  let client = clients.get(config);
  if (client === undefined) {
    const path = config.gcp.credentials_path;
    const apiEndpoint = config.gcp.endpoint.replace(/\/+$/, "");
    client = new Storage({
      ...(path !== "" ? { keyFilename: path } : {}),
      // Custom endpoints (emulators) are used without credentials unless a key file is set.
      ...(apiEndpoint !== "" ? { apiEndpoint, useAuthWithCustomEndpoint: path !== "" } : {}),
    });
    clients.set(config, client);
  }
  return client;
}

export default defineOutput({
  info: {
    category: "gcp",
    name: "gcs",
    description: "Store on GCP Cloud Storage",
    permissions: { cloud: ["storage.objects.create", "storage.buckets.get"] },
    example: `- action: Get logs of the pod
  actionner: kubernetes:log
  parameters:
    tail_lines: 200
  output:
    target: gcp:gcs
    parameters:
      bucket: falco-talon
      prefix: files
`,
  },
  parameters,
  async checks(p, env) {
    let exists: boolean;
    try {
      const storage = await gcsClient(env.config);
      [exists] = await storage.bucket(p.bucket).exists();
    } catch (err) {
      // Upload-only service accounts may not read bucket metadata; the upload will tell.
      if ((err as { code?: number }).code === 403) return;
      throw new Error(`can't check the bucket '${p.bucket}': ${errorText(err)}`);
    }
    if (!exists) throw new Error(`the bucket '${p.bucket}' does not exist`);
  },
  async run({ artifact, parameters: p, env }) {
    const prefix = normalisePrefix(p.prefix);
    const key = prefix + buildObjectKey(artifact, new Date());
    const objects = { file: artifact.name, bucket: p.bucket, prefix, key };
    try {
      env.signal.throwIfAborted();
      const storage = await gcsClient(env.config);
      await storage
        .bucket(p.bucket)
        .file(key)
        .save(artifact.bytes, {
          contentType: artifact.contentType ?? contentTypeFor(artifact.name),
          metadata: { contentType: artifact.contentType ?? contentTypeFor(artifact.name) },
          // Resumable uploads only pay off for large artifacts.
          resumable: artifact.bytes.length > 8 * 1024 * 1024,
          validation: "crc32c",
        });
    } catch (err) {
      return { status: "failure", error: errorText(err), objects };
    }
    return {
      status: "success",
      output: `The file '${artifact.name}' has been uploaded as the key '${key}' to the bucket '${p.bucket}'`,
      objects,
    };
  },
});
