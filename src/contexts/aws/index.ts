/**
 * Context `aws` (for `additional_contexts`): the instance profile and region of the EC2 instance the engine
 * runs on, from the instance metadata service with IMDSv2 (a session token PUT, then GETs).
 * Endpoint: `aws.imds_endpoint` in the config when present, else the SDK's
 * AWS_EC2_METADATA_SERVICE_ENDPOINT, else http://169.254.169.254.
 */
import { defineContext } from "../../plugins/define.js";
import type { ContextProvider, PluginEnv } from "../../plugins/types.js";

export const DEFAULT_IMDS_ENDPOINT = "http://169.254.169.254";
// The token is used at once; a short life limits a leaked one.
const TOKEN_TTL_SECONDS = 60;

export interface AwsContextOptions {
  /** Fixed endpoint (tests); otherwise resolved per call by {@link imdsEndpoint}. */
  endpoint?: string;
  /** Per request; default 2 s (IMDS answers in milliseconds, off EC2 it never answers). */
  timeoutMs?: number;
}

/** The IMDS endpoint from the config (when it has an `aws.imds_endpoint`) or the environment. */
export function imdsEndpoint(
  config: PluginEnv["config"],
  environment: Readonly<Record<string, string | undefined>> = process.env,
): string {
  const fromConfig = (config as { aws?: { imds_endpoint?: unknown } } | undefined)?.aws?.imds_endpoint;
  if (typeof fromConfig === "string" && fromConfig.trim() !== "") return fromConfig.trim();
  const fromEnv = environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"];
  if (fromEnv && fromEnv.trim() !== "") return fromEnv.trim();
  return DEFAULT_IMDS_ENDPOINT;
}

interface IamInfo {
  Code?: string;
  InstanceProfileArn?: string;
  InstanceProfileId?: string;
}

async function imdsRequest(
  url: string,
  init: RequestInit,
  what: string,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) });
  } catch (err) {
    const e = err as Error;
    const why =
      e.name === "TimeoutError"
        ? `no answer after ${timeoutMs}ms`
        : ((e.cause as Error)?.message ?? e.message);
    throw new Error(`can't reach the instance metadata service for ${what} at ${url}: ${why}`);
  }
  const body = await res.text();
  if (!res.ok) {
    throw new Error(`the instance metadata service answered ${res.status} for ${what} at ${url}`);
  }
  return body;
}

export function createAwsContext(options: AwsContextOptions = {}): ContextProvider {
  const timeoutMs = options.timeoutMs ?? 2000;
  return defineContext({
    info: {
      name: "aws",
      description: "The IAM instance profile and region of the node, from the EC2 metadata service (IMDSv2)",
      permissions: {},
    },
    async fetch(_event, env) {
      const base = (options.endpoint ?? imdsEndpoint(env.config)).replace(/\/+$/, "");
      const token = await imdsRequest(
        `${base}/latest/api/token`,
        { method: "PUT", headers: { "X-aws-ec2-metadata-token-ttl-seconds": String(TOKEN_TTL_SECONDS) } },
        "a session token",
        timeoutMs,
        env.signal,
      );
      const headers = { "X-aws-ec2-metadata-token": token };
      const [iamText, region] = await Promise.all([
        imdsRequest(`${base}/latest/meta-data/iam/info`, { headers }, "the IAM info", timeoutMs, env.signal),
        imdsRequest(
          `${base}/latest/meta-data/placement/region`,
          { headers },
          "the region",
          timeoutMs,
          env.signal,
        ),
      ]);
      let iam: IamInfo;
      try {
        iam = JSON.parse(iamText) as IamInfo;
      } catch {
        throw new Error("the instance metadata service sent IAM info that is not JSON");
      }
      if (iam.Code !== undefined && iam.Code !== "Success") {
        throw new Error(`the instance metadata service reports the IAM info as '${iam.Code}'`);
      }
      return {
        "aws.instance_profile_arn": String(iam.InstanceProfileArn ?? ""),
        "aws.instance_profile_id": String(iam.InstanceProfileId ?? ""),
        "aws.region": region.trim(),
      };
    },
  });
}

export default createAwsContext();
