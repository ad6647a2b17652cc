/** Every output, by `category:name`. Adding one: a folder plus one line here. */
import type { Output } from "../plugins/types.js";
import awsS3 from "./aws/s3/index.js";
import gcpGcs from "./gcp/gcs/index.js";
import localFile from "./local/file/index.js";
import minioS3 from "./minio/s3/index.js";

export const outputs: Output[] = [localFile, awsS3, minioS3, gcpGcs];

export function outputName(o: Output): string {
  return `${o.info.category}:${o.info.name}`;
}

export function findOutput(fullName: string): Output | undefined {
  return outputs.find((o) => outputName(o) === fullName);
}
