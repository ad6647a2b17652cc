/**
 * The S3 output factory behind aws:s3 and minio:s3: each folder gives its parameters, info
 * and client; the upload, its object key and its result are the same for both.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import type { z } from "zod";
import type { Config } from "../config/schema.js";
import type { Output, OutputInfo } from "../plugins/types.js";
import { buildObjectKey } from "./key.js";
import { checkBucket, normalisePrefix, s3ErrorText, uploadArtifact } from "./s3.js";

/** What every S3 output takes. */
type S3Parameters = z.ZodType<{ bucket: string; prefix: string }, unknown>;

export interface S3OutputSpec<S extends S3Parameters> {
  info: OutputInfo;
  parameters: S;
  /** The client for these parameters (memoised per config, see s3.ts). */
  client(config: Config, parameters: z.output<S>): Promise<S3Client>;
  /**
   * Whether `checks` sends a HeadBucket. It needs s3:ListBucket, which upload-only roles
   * lack, so aws:s3 skips it (as Talon does).
   */
  checkBucket: boolean;
  /**
   * When set, the result names the region: this one (parameters or config), or the client's
   * own when it is empty.
   */
  region?(config: Config, parameters: z.output<S>): string;
}

export function s3Output<S extends S3Parameters>(spec: S3OutputSpec<S>): Output<S> {
  return {
    info: spec.info,
    parameters: spec.parameters,
    async checks(p, env) {
      if (spec.checkBucket) await checkBucket(await spec.client(env.config, p), p.bucket);
    },
    async run({ artifact, parameters: p, env }) {
      const prefix = normalisePrefix(p.prefix);
      const key = prefix + buildObjectKey(artifact, new Date());
      const objects: Record<string, string> = { file: artifact.name, bucket: p.bucket, prefix, key };
      const region = spec.region?.(env.config, p);
      if (region !== undefined) objects.region = region;
      try {
        const client = await spec.client(env.config, p);
        if (region === "") objects.region = await client.config.region();
        await uploadArtifact(client, p.bucket, key, artifact, env.signal);
      } catch (err) {
        return { status: "failure", error: s3ErrorText(err), objects };
      }
      return {
        status: "success",
        output: `the file '${artifact.name}' has been uploaded as the key '${key}' to the bucket '${p.bucket}'`,
        objects,
      };
    },
  };
}
