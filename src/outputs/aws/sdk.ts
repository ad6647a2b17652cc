/**
 * AWS SDK client settings (`aws.*` in the config) shared by aws:s3 and aws:lambda.
 * Static credentials only when access key, secret key and region are all set (otherwise the
 * SDK default chain: env, IRSA, Pod Identity, IMDS), then an optional AssumeRole with
 * ExternalId. `aws.endpoint` targets AWS-compatible servers (tests).
 */
import type { STSClientConfig } from "@aws-sdk/client-sts";
import type { Config } from "../../config/schema.js";
import { errorText } from "../../error-text.js";
import { once } from "../../once.js";

/** The STS SDK, loaded when an AWS plug-in first needs it (it is large and optional). */
const loadSts = once(() => import("@aws-sdk/client-sts"));

export interface AwsSdkConfig {
  region?: string;
  endpoint?: string;
  credentials?: STSClientConfig["credentials"];
}

export function awsSdkConfig(config: Config, regionOverride = ""): AwsSdkConfig {
  const aws = config.aws;
  const region = regionOverride || aws.region || undefined;
  const out: AwsSdkConfig = { region };
  if (aws.access_key !== "" && aws.secret_key !== "" && aws.region !== "") {
    out.credentials = { accessKeyId: aws.access_key, secretAccessKey: aws.secret_key };
  }
  if (aws.endpoint !== "") out.endpoint = aws.endpoint;
  if (aws.role_arn !== "") {
    const stsSettings = {
      region: region ?? "us-east-1",
      endpoint: out.endpoint,
      credentials: out.credentials,
    };
    // One STS client per settings object, built on the first credentials request.
    const stsClient = once(async () => new (await loadSts()).STSClient(stsSettings));
    // The SDK memoises this provider and calls it again shortly before `expiration`.
    out.credentials = async () => {
      const { AssumeRoleCommand } = await loadSts();
      const res = await (await stsClient()).send(
        new AssumeRoleCommand({
          RoleArn: aws.role_arn,
          RoleSessionName: "falco-talon",
          ExternalId: aws.external_id || undefined,
        }),
      );
      const c = res.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey)
        throw new Error(`AssumeRole '${aws.role_arn}' gave no credentials`);
      return {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiration: c.Expiration,
      };
    };
  }
  return out;
}

/** Talon's init-time validation: `sts:GetCallerIdentity` with the resolved credentials. */
export async function checkAwsIdentity(config: Config): Promise<string> {
  const { STSClient, GetCallerIdentityCommand } = await loadSts();
  const base = awsSdkConfig(config);
  const sts = new STSClient({ ...base, region: base.region ?? "us-east-1" });
  try {
    const id = await sts.send(new GetCallerIdentityCommand({}));
    return id.Arn ?? "";
  } catch (err) {
    throw new Error(`can't validate the AWS credentials: ${errorText(err)}`);
  } finally {
    sts.destroy();
  }
}
