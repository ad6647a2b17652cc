/** minio:s3 — uploads artifacts to a MinIO bucket through the S3 API (settings from `minio.*`). */
import { z } from "zod";
import { defineOutput } from "../../../plugins/define.js";
import { minioS3Client } from "../../s3.js";
import { s3Output } from "../../s3-output.js";

const parameters = z.object({
  bucket: z.string().min(1, "bucket is required"),
  prefix: z.string().default(""),
});

export default defineOutput(
  s3Output({
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
    client: (config) => minioS3Client(config),
    checkBucket: true,
  }),
);
