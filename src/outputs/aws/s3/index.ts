/** aws:s3 — uploads artifacts to an S3 bucket (settings from `aws.*`, see src/outputs/aws/sdk.ts). */
import { z } from "zod";
import { defineOutput } from "../../../plugins/define.js";
import { awsS3Client } from "../../s3.js";
import { s3Output } from "../../s3-output.js";

const parameters = z.object({
  bucket: z.string().min(1, "bucket is required"),
  prefix: z.string().default(""),
  /** Overrides the configured/SDK region for this bucket. */
  region: z.string().default(""),
});

export default defineOutput(
  s3Output({
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
    client: (config, p) => awsS3Client(config, p.region),
    checkBucket: false,
    region: (config, p) => p.region || config.aws.region,
  }),
);
