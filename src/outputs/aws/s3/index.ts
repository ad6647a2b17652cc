/** aws:s3 — uploads artifacts to an S3 bucket (talon.md §5). */
import { z } from "zod";
import type { Output } from "../../../plugins/types.js";
import { buildObjectKey } from "../../key.js";
import { awsS3Client, normalisePrefix, s3ErrorText, uploadArtifact } from "../../s3.js";

const parameters = z.object({
  bucket: z.string().min(1, "bucket is required"),
  prefix: z.string().default(""),
  /** Overrides the configured/SDK region for this bucket. */
  region: z.string().default(""),
});

const awsS3: Output<typeof parameters> = {
  info: {
    category: "aws",
    name: "s3",
    description: "Store on AWS S3",
    permissions: { cloud: ["s3:PutObject", "s3:AbortMultipartUpload"] },
    example: `- action: Get logs of the pod
  actionner: kubernetes:log
  parameters:
    tail_lines: 200
  output:
    target: aws:s3
    parameters:
      bucket: falcosidekick-tests
      prefix: /files
      region: eu-west-1
`,
  },
  parameters,
  // Like Talon, no HeadBucket here: it needs s3:ListBucket, which upload-only roles lack.
  async checks() {},
  async run({ artifact, parameters: p, env }) {
    const client = await awsS3Client(env.config, p.region);
    const prefix = normalisePrefix(p.prefix);
    const key = prefix + buildObjectKey(artifact, new Date());
    let region = p.region || env.config.aws.region;
    const objects = { file: artifact.name, bucket: p.bucket, prefix, key, region };
    try {
      if (region === "") region = await client.config.region();
      objects.region = region;
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

export default awsS3;
