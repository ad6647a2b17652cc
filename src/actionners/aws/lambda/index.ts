/**
 * aws:lambda — invokes a Lambda function with the event (Talon's event JSON as the payload).
 * Unlike Talon, a function error or a non-2xx status is reported as a failure.
 */
import type { LambdaClient } from "@aws-sdk/client-lambda";
import { z } from "zod";
import type { Config } from "../../../config/schema.js";
import { talonEventJson } from "../../../events/talon-json.js";
import { once } from "../../../once.js";
import { awsSdkConfig, checkAwsIdentity } from "../../../outputs/aws/sdk.js";
import { defineActionner } from "../../../plugins/define.js";
import type { ActionPlan, ActionResult } from "../../../plugins/types.js";

const parameters = z.object({
  aws_lambda_name: z.string().min(1, "aws_lambda_name is required"),
  aws_lambda_alias_or_version: z.string().min(1).default("$LATEST"),
  aws_lambda_invocation_type: z.enum(["RequestResponse", "Event", "DryRun"]).default("RequestResponse"),
});

/** The Lambda SDK, loaded when the actionner is first checked or run (it is large and optional). */
const loadLambda = once(() => import("@aws-sdk/client-lambda"));

/** One client (and connection pool) per configuration. */
const clients = new WeakMap<Config, LambdaClient>();

async function lambdaClient(config: Config): Promise<LambdaClient> {
  const { LambdaClient } = await loadLambda();
  let client = clients.get(config);
  if (client === undefined) {
    client = new LambdaClient(awsSdkConfig(config));
    clients.set(config, client);
  }
  return client;
}

function sdkError(err: unknown): string {
  const e = err as Error;
  return e.message && e.message !== "UnknownError" ? e.message : e.name;
}

export default defineActionner({
  info: {
    category: "aws",
    name: "lambda",
    description: "Invoke an AWS Lambda function forwarding the Falco event payload",
    source: "any",
    continue: true,
    useContext: true,
    allowOutput: false,
    requireOutput: false,
    requiredOutputFields: [],
    permissions: {
      cloud: ["sts:GetCallerIdentity", "lambda:GetFunction", "lambda:InvokeFunction"],
    },
    example: `- action: Invoke Lambda function
  actionner: aws:lambda
  additional_contexts:
    - aws
  parameters:
    aws_lambda_name: sample-function
    aws_lambda_alias_or_version: $LATEST
    aws_lambda_invocation_type: RequestResponse
`,
  },
  parameters,
  async init(env) {
    await checkAwsIdentity(env.config);
  },
  async checks({ parameters: p, env }) {
    try {
      const client = await lambdaClient(env.config);
      const { GetFunctionCommand } = await loadLambda();
      await client.send(
        new GetFunctionCommand({ FunctionName: p.aws_lambda_name, Qualifier: p.aws_lambda_alias_or_version }),
        { abortSignal: env.signal },
      );
    } catch (err) {
      throw new Error(`the function '${p.aws_lambda_name}' can't be found: ${sdkError(err)}`);
    }
  },
  plan({ parameters: p }): ActionPlan {
    return {
      objects: { name: p.aws_lambda_name, version: p.aws_lambda_alias_or_version },
      plan: `invoke the Lambda function '${p.aws_lambda_name}' (qualifier ${p.aws_lambda_alias_or_version}, invocation type ${p.aws_lambda_invocation_type}) with the event JSON`,
      details: {
        function_name: p.aws_lambda_name,
        qualifier: p.aws_lambda_alias_or_version,
        invocation_type: p.aws_lambda_invocation_type,
      },
    };
  },
  async run({ event, parameters: p, env }): Promise<ActionResult> {
    const objects = { name: p.aws_lambda_name, version: p.aws_lambda_alias_or_version };
    try {
      const client = await lambdaClient(env.config);
      const { InvokeCommand } = await loadLambda();
      const res = await client.send(
        new InvokeCommand({
          FunctionName: p.aws_lambda_name,
          Qualifier: p.aws_lambda_alias_or_version,
          InvocationType: p.aws_lambda_invocation_type,
          Payload: Buffer.from(talonEventJson(event)),
        }),
        { abortSignal: env.signal },
      );
      const payload = res.Payload ? Buffer.from(res.Payload).toString("utf8") : "";
      const status = res.StatusCode ?? 0;
      if (res.FunctionError) {
        return { status: "failure", error: `function error (${res.FunctionError}): ${payload}`, objects };
      }
      if (status < 200 || status > 299) {
        return { status: "failure", error: `unexpected status ${status}`, result: payload, objects };
      }
      return {
        status: "success",
        output: `the lambda '${p.aws_lambda_name}' has been invoked`,
        result: payload,
        objects,
      };
    } catch (err) {
      return { status: "failure", error: sdkError(err), objects };
    }
  },
});
