/** slack — incoming-webhook messages with attachments. */
import { z } from "zod";
import { defineNotifier } from "../../plugins/define.js";
import type { Notification } from "../../plugins/types.js";
import { sendHttp } from "../http.js";
import { removeSpecialCharacters, sortedObjects } from "../payload.js";
import { httpBehaviour, httpUrl } from "../settings.js";

const parameters = z.object({
  webhook_url: httpUrl,
  icon: z.string().default("https://upload.wikimedia.org/wikipedia/commons/2/26/Circaetus_gallicus_claw.jpg"),
  username: z.string().default("Falco Talon"),
  footer: z.string().default("http://github.com/falcosecurity/falco-talon"),
  format: z.enum(["long", "short"]).default("long"),
  ...httpBehaviour,
});

export type SlackSettings = z.output<typeof parameters>;

export const COLORS = { failure: "#e20b0b", success: "#23ba47", ignored: "#a4a8b1" } as const;

interface Field {
  title: string;
  value: string;
  short: boolean;
}

export interface SlackPayload {
  text?: string;
  username?: string;
  icon_url?: string;
  attachments: { fallback: string; color: string; text?: string; footer?: string; fields: Field[] }[];
}

const tick = (v: string) => `\`${v}\``;
const fence = "```";

/** The Slack message for a notification, with Talon's layout. */
export function slackPayload(n: Notification, s: SlackSettings): SlackPayload {
  let text = `[*${n.status.toUpperCase()}*][*${n.message.toUpperCase()}*] `;
  if (n.rule) text += `Rule: ${tick(n.rule)} `;
  if (n.action) text += `Action: ${tick(n.action)} `;
  if (n.output_target) text += `OutputTarget: ${tick(n.output_target)} `;
  text = text.trimEnd();
  const attachment: SlackPayload["attachments"][number] = {
    fallback: "",
    color: COLORS[n.status] ?? COLORS.ignored,
    fields: [],
  };
  if (s.format === "short") {
    attachment.text = text;
    return { username: s.username, icon_url: s.icon, attachments: [attachment] };
  }
  const fields = attachment.fields;
  const add = (title: string, value: string, short = false) => fields.push({ title, value, short });
  if (n.rule) add("Rule", tick(n.rule));
  if (n.action) add("Action", tick(n.action));
  if (n.actionner) add("Actionner", tick(n.actionner), true);
  add("Status", tick(n.status), true);
  for (const [k, v] of sortedObjects(n.objects ?? {})) add(k, tick(v), true);
  if (n.event) add("Event", fence + n.event + fence);
  add("Message", tick(n.message));
  if (n.error) add("Error", tick(n.error));
  if (n.output_target) add("OutputTarget", tick(n.output_target));
  if (n.trace_id) add("Trace ID", tick(n.trace_id));
  if (n.result) add("Result", tick(n.result));
  if (n.output) add("Output", `${fence}\n${removeSpecialCharacters(n.output)}${fence}`);
  if (s.footer) attachment.footer = s.footer;
  return { text, username: s.username, icon_url: s.icon, attachments: [attachment] };
}

export default defineNotifier({
  info: {
    name: "slack",
    description: "Send a message to Slack",
    permissions: {},
    example: `notifiers:
  slack:
    webhook_url: "https://hooks.slack.com/services/XXXX"
    icon: "https://upload.wikimedia.org/wikipedia/commons/2/26/Circaetus_gallicus_claw.jpg"
    username: "Falco Talon"
    footer: "http://github.com/falcosecurity/falco-talon"
    format: long
`,
  },
  parameters,
  async send(notification, settings, env) {
    await sendHttp(
      {
        url: settings.webhook_url,
        method: "POST",
        headers: { "Content-Type": "application/json; charset=utf-8" },
        body: JSON.stringify(slackPayload(notification, settings)),
      },
      { timeoutMs: settings.timeout_seconds * 1000, attempts: settings.max_attempts, signal: env.signal },
    );
  },
});
