/**
 * aws — facts about the EC2 instance Talon runs on, for `additional_contexts` (talon.md §7):
 * `aws.instance_profile_arn`, `aws.instance_profile_id` and `aws.region`, read from the
 * instance metadata service (IMDSv2 session token). Unlike Talon, it needs no prior AWS
 * client and fails with an error instead of a nil dereference.
 */
import type { ContextProvider } from "../../plugins/types.js";

const DEFAULT_ENDPOINT = "http://169.254.169.254";
const TIMEOUT_MS = 2_000;

async function imds(url: string, init: RequestInit, signal: AbortSignal): Promise<string> {
  const res = await fetch(url, {
    ...init,
    signal: AbortSignal.any([signal, AbortSignal.timeout(TIMEOUT_MS)]),
  });
  const body = await res.text();
  if (!res.ok) throw new Error(`instance metadata ${new URL(url).pathname}: ${res.status} ${res.statusText}`);
  return body;
}

/**
 * `endpoint` defaults to the AWS SDK's AWS_EC2_METADATA_SERVICE_ENDPOINT (read only), else
 * the link-local IMDS address.
 */
export function createAwsContext(endpoint?: string): ContextProvider {
  return {
    info: {
      name: "aws",
      description: "IAM instance profile and region of the EC2 instance, from the instance metadata service",
      permissions: {},
    },
    async fetch(_event, env) {
      const base = (endpoint ?? process.env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] ?? DEFAULT_ENDPOINT).replace(
        /\/+$/,
        "",
      );
      try {
        const token = await imds(
          `${base}/latest/api/token`,
          { method: "PUT", headers: { "X-aws-ec2-metadata-token-ttl-seconds": "60" } },
          env.signal,
        );
        const headers = { "X-aws-ec2-metadata-token": token };
        const [iamText, region] = await Promise.all([
          imds(`${base}/latest/meta-data/iam/info`, { headers }, env.signal),
          imds(`${base}/latest/meta-data/placement/region`, { headers }, env.signal),
        ]);
        const iam = JSON.parse(iamText) as { InstanceProfileArn?: string; InstanceProfileId?: string };
        const out: Record<string, string> = {};
        if (iam.InstanceProfileArn) out["aws.instance_profile_arn"] = iam.InstanceProfileArn;
        if (iam.InstanceProfileId) out["aws.instance_profile_id"] = iam.InstanceProfileId;
        if (region.trim()) out["aws.region"] = region.trim();
        return out;
      } catch (err) {
        const e = err as Error;
        const why = e.name === "TimeoutError" ? `no answer within ${TIMEOUT_MS}ms` : e.message;
        throw new Error(`can't read the AWS instance metadata: ${why}`);
      }
    },
  };
}

const aws = createAwsContext();

export default aws;
