/** minio:s3 — uploads artifacts to a MinIO bucket through the S3 API (talon.md §5). */
import { z } from "zod";
import type { Output } from "../../../plugins/types.js";
import { buildObjectKey } from "../../key.js";
import { checkBucket, minioS3Client, normalisePrefix, s3ErrorText, uploadArtifact } from "../../s3.js";

const parameters = z.object({
  bucket: z.string().min(1, "bucket is required"),
  prefix: z.string().default(""),
});

const minioS3: Output<typeof parameters> = {
  info: {
    category: "minio",
    name: "s3",
    description: "Store on Minio",
    permissions: { cloud: ["s3:PutObject", "s3:ListBucket"] },
    example: `- action: Get logs of the pod
  actionner: kubernetes:log
  parameters:
    tail_lines: 200
  output:
    target: minio:s3
    parameters:
      bucket: falco-talon
      prefix: /files
`,
  },
  parameters,
  async checks(p, env) {
    await checkBucket(await minioS3Client(env.config), p.bucket);
  },
  async run({ artifact, parameters: p, env }) {
    const prefix = normalisePrefix(p.prefix);
    const key = prefix + buildObjectKey(artifact, new Date());
    const objects = { file: artifact.name, bucket: p.bucket, prefix, key };
    try {
      await uploadArtifact(await minioS3Client(env.config), p.bucket, key, artifact, env.signal);
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

export default minioS3;
