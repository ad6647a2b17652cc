/** webhook — sends the notification JSON to any HTTP endpoint. */
import { z } from "zod";
import { defineNotifier } from "../../plugins/define.js";
import { sendHttp } from "../http.js";
import { notificationJson } from "../payload.js";
import { customHeaders, httpBehaviour, httpUrl } from "../settings.js";

const parameters = z.object({
  url: httpUrl,
  http_method: z
    .string()
    .regex(/^[A-Za-z]+$/, "must be an HTTP method such as POST")
    .transform((m) => m.toUpperCase())
    .default("POST"),
  content_type: z.string().default("application/json; charset=utf-8"),
  user_agent: z.string().default("falco-talon"),
  custom_headers: customHeaders,
  ...httpBehaviour,
});

export type WebhookSettings = z.output<typeof parameters>;

/** The request for one notification; GET carries no body. */
export function webhookRequest(body: string, settings: WebhookSettings) {
  const headers: Record<string, string> = { "User-Agent": settings.user_agent };
  if (settings.http_method !== "GET") headers["Content-Type"] = settings.content_type;
  Object.assign(headers, settings.custom_headers);
  return {
    url: settings.url,
    method: settings.http_method,
    headers,
    body: settings.http_method === "GET" ? undefined : body,
  };
}

export default defineNotifier({
  info: {
    name: "webhook",
    description: "Send a message to a webhook",
    permissions: {},
    example: `notifiers:
  webhook:
    url: "https://example.com/falco-talon"
    http_method: "POST"
    user_agent: "falco-talon"
    content_type: "application/json; charset=utf-8"
    custom_headers:
      Authorization: "Bearer my-token"
`,
  },
  parameters,
  async send(notification, settings, env) {
    const body = JSON.stringify(notificationJson(notification));
    await sendHttp(webhookRequest(body, settings), {
      timeoutMs: settings.timeout_seconds * 1000,
      attempts: settings.max_attempts,
      signal: env.signal,
    });
  },
});
