/**
 * gcp:function — calls a Cloud Function (v2) with the event (Talon's event JSON as the body).
 * Unlike Talon: the credentials path is read as a file, the timeout is in seconds and
 * per request (no shared client is replaced), and any 2xx answer is a success.
 */
import type { GoogleAuth } from "google-auth-library";
import { z } from "zod";
import type { Config } from "../../../config/schema.js";
import { talonEventJson } from "../../../events/talon-json.js";
import { once } from "../../../once.js";
import { defineActionner } from "../../../plugins/define.js";
import type { Actionner, ActionPlan, ActionResult } from "../../../plugins/types.js";

/** Both name a segment of the GetFunction URL path: no '/', '.', '%' or spaces can get in. */
const pathSegment = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

const parameters = z.object({
  gcp_function_name: z
    .string()
    .min(1, "gcp_function_name is required")
    .regex(pathSegment, "a function name is letters, digits, '-' and '_'"),
  gcp_function_location: z
    .string()
    .min(1, "gcp_function_location is required")
    .regex(pathSegment, "a location is letters, digits, '-' and '_' (e.g. us-central1)"),
  /** Seconds for each API call and for the function call. */
  gcp_function_timeout: z.coerce.number().int().min(1).default(30),
});

type Parameters = z.output<typeof parameters>;

/** The part of GoogleAuth used here (tests substitute it: the OAuth token URL is hard-coded). */
export interface GcpAuth {
  getProjectId(): Promise<string>;
  getClient(): Promise<Pick<Awaited<ReturnType<GoogleAuth["getClient"]>>, "request">>;
  getIdTokenClient(
    audience: string,
  ): Promise<Pick<Awaited<ReturnType<GoogleAuth["getIdTokenClient"]>>, "request">>;
}

/** The Google auth library, loaded when the actionner is first used (it is large and optional). */
const loadGoogleAuth = once(() => import("google-auth-library"));

const auths = new WeakMap<Config, GcpAuth>();

/** One GoogleAuth (and its token cache) per configuration, built on the first call. */
function defaultAuth(config: Config): GcpAuth {
  let auth = auths.get(config);
  if (auth === undefined) {
    const path = config.gcp.credentials_path;
    const googleAuth = once(async () => {
      const { GoogleAuth } = await loadGoogleAuth();
      return new GoogleAuth({
        ...(path !== "" ? { keyFilename: path } : {}),
        scopes: ["https://www.googleapis.com/auth/cloud-platform"],
      });
    });
    auth = {
      getProjectId: async () => (await googleAuth()).getProjectId(),
      getClient: async () => (await googleAuth()).getClient(),
      getIdTokenClient: async (audience) => (await googleAuth()).getIdTokenClient(audience),
    };
    auths.set(config, auth);
  }
  return auth;
}

function functionsBase(config: Config): string {
  return (config.gcp.functions_endpoint || "https://cloudfunctions.googleapis.com").replace(/\/+$/, "");
}

/** A Google API error's status and message, else the error's message. */
function gcpErrorText(err: unknown): string {
  const e = err as Error & { response?: { status?: number; data?: { error?: { message?: string } } } };
  const apiMessage = e.response?.data?.error?.message;
  return apiMessage ? `${e.response?.status} ${apiMessage}` : e.message;
}

/** `GetFunction` (v2); returns the HTTPS URI the function serves. */
async function functionUri(
  auth: GcpAuth,
  config: Config,
  p: Parameters,
  signal: AbortSignal,
): Promise<string> {
  const project = await auth.getProjectId().catch(() => "");
  if (!project) throw new Error("can't find the GCP project id in the credentials");
  const client = await auth.getClient();
  const name = `projects/${project}/locations/${p.gcp_function_location}/functions/${p.gcp_function_name}`;
  const res = await client.request<{ serviceConfig?: { uri?: string } }>({
    url: `${functionsBase(config)}/v2/${name}`,
    timeout: p.gcp_function_timeout * 1000,
    signal,
  });
  const uri = res.data.serviceConfig?.uri ?? "";
  if (uri === "") throw new Error(`the function '${name}' has no serviceConfig.uri`);
  return uri;
}

/** Builds the actionner; `authFor` gives the Google credentials for a configuration. */
export function createGcpFunction(
  authFor: (config: Config) => GcpAuth = defaultAuth,
): Actionner<typeof parameters> {
  return defineActionner({
    info: {
      category: "gcp",
      name: "function",
      description: "Invoke a GCP Cloud Function forwarding the Falco event payload",
      source: "any",
      continue: true,
      useContext: false,
      allowOutput: false,
      requireOutput: false,
      requiredOutputFields: [],
      permissions: { cloud: ["cloudfunctions.functions.get", "run.routes.invoke"] },
      example: `- action: Invoke GCP function
  actionner: gcp:function
  parameters:
    gcp_function_name: sample-function
    gcp_function_location: us-central1
    gcp_function_timeout: 10
`,
    },
    parameters,
    async init(env) {
      const project = await authFor(env.config)
        .getProjectId()
        .catch((err: Error) => {
          throw new Error(`can't load the GCP credentials: ${err.message}`);
        });
      if (!project) throw new Error("can't find the GCP project id in the credentials");
    },
    async checks({ parameters: p, env }) {
      try {
        await functionUri(authFor(env.config), env.config, p, env.signal);
      } catch (err) {
        throw new Error(`the function '${p.gcp_function_name}' can't be found: ${gcpErrorText(err)}`);
      }
    },
    plan({ parameters: p }): ActionPlan {
      return {
        objects: { name: p.gcp_function_name, location: p.gcp_function_location },
        plan: `call the Cloud Function '${p.gcp_function_name}' in '${p.gcp_function_location}' (POST of the event JSON with an ID token, timeout ${p.gcp_function_timeout}s)`,
        details: {
          function: `projects/<project>/locations/${p.gcp_function_location}/functions/${p.gcp_function_name}`,
          timeout_seconds: p.gcp_function_timeout,
        },
      };
    },
    async run({ event, parameters: p, env }): Promise<ActionResult> {
      const objects: Record<string, string> = {
        name: p.gcp_function_name,
        location: p.gcp_function_location,
      };
      try {
        const uri = await functionUri(authFor(env.config), env.config, p, env.signal);
        const idClient = await authFor(env.config).getIdTokenClient(uri);
        const res = await idClient.request<string>({
          url: uri,
          method: "POST",
          headers: { "Content-Type": "application/json" },
          data: talonEventJson(event),
          responseType: "text",
          timeout: p.gcp_function_timeout * 1000,
          signal: env.signal,
          validateStatus: () => true,
        });
        const body = typeof res.data === "string" ? res.data : JSON.stringify(res.data);
        objects["function_response"] = body;
        objects["function_response_status"] = String(res.status);
        if (res.status < 200 || res.status > 299) {
          return { status: "failure", error: `the function answered ${res.status}: ${body}`, objects };
        }
        return {
          status: "success",
          output: `the function '${p.gcp_function_name}' has been invoked`,
          result: body,
          objects,
        };
      } catch (err) {
        return { status: "failure", error: gcpErrorText(err), objects };
      }
    },
  });
}

export default createGcpFunction();
