/**
 * smtp — e-mails each notification through nodemailer.
 * Unlike Talon: the html format works (with a text alternative), authentication is only
 * attempted when a user is set, `tls` requires STARTTLS, and the Date header is RFC 5322.
 */
import { z } from "zod";
import { boolish } from "../../config/schema.js";
import { errorText } from "../../error-text.js";
import { defineNotifier } from "../../plugins/define.js";
import type { Notification } from "../../plugins/types.js";
import { notificationText, removeSpecialCharacters, sortedObjects } from "../payload.js";

const parameters = z.object({
  host_port: z
    .string()
    .regex(/^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):\d{1,5}$/, "must be <host>:<port>, e.g. smtp.example.com:587"),
  from: z.string().min(1, "from is required"),
  /** Comma-separated recipients. */
  to: z
    .string()
    .transform((s) =>
      s
        .split(",")
        .map((x) => x.trim())
        .filter((x) => x !== ""),
    )
    .refine((l) => l.length > 0, "to is required"),
  user: z.string().default(""),
  password: z.string().default(""),
  format: z.enum(["html", "text"]).default("html"),
  /** Require STARTTLS (the connection starts in plain text). */
  tls: boolish.default(false),
  /** Accept a self-signed server certificate with `tls` (tests, internal relays). */
  tls_skip_verify: boolish.default(false),
  timeout_seconds: z.coerce.number().positive().default(10),
  max_attempts: z.coerce.number().int().min(1).max(10).default(3),
});

export type SmtpSettings = z.output<typeof parameters>;

/** `[falco-talon][<status>][<message>] OutputTarget '<t>' Action '<a>' Rule '<r>'` (empty parts skipped). */
export function smtpSubject(n: Notification): string {
  let subject = `[falco-talon][${n.status}][${n.message}]`;
  if (n.output_target) subject += ` OutputTarget '${n.output_target}'`;
  if (n.action) subject += ` Action '${n.action}'`;
  if (n.rule) subject += ` Rule '${n.rule}'`;
  return subject;
}

/** The text body (also the html format's alternative): Talon's plain text, output below its label. */
export function smtpText(n: Notification): string {
  return `${notificationText(n, { traceLabel: "Trace ID", outputBelow: true })}\n`;
}

const COLORS: Record<string, string> = { success: "#23ba47", failure: "#e20b0b", ignored: "#a4a8b1" };

function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

/** The HTML body: a status banner and one row per non-empty field; every value escaped. */
export function smtpHtml(n: Notification): string {
  const rows: [string, string][] = [];
  const add = (label: string, value: string | undefined) => {
    if (value) rows.push([label, value]);
  };
  add("Message", n.message);
  add("Rule", n.rule);
  add("Action", n.action);
  add("Actionner", n.actionner);
  add("Event", n.event);
  for (const [k, v] of sortedObjects(n.objects ?? {})) add(k, v);
  add("Error", n.error);
  add("Result", n.result);
  add("OutputTarget", n.output_target);
  add("Trace ID", n.trace_id);
  const cell = 'style="background-color:#d1d6da"';
  const head = 'style="background-color:#858585;color:#fff"';
  const body = rows
    .map(
      ([k, v]) =>
        `<tr><td ${head}><strong>${escapeHtml(k)}</strong></td><td ${cell}>${escapeHtml(v)}</td></tr>`,
    )
    .join("\n");
  const output = n.output
    ? `<tr><td ${head}><strong>Output</strong></td><td ${cell}><pre>${escapeHtml(removeSpecialCharacters(n.output))}</pre></td></tr>`
    : "";
  const color = COLORS[n.status] ?? COLORS["ignored"];
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${escapeHtml(smtpSubject(n))}</title></head>
<body style="font-family:arial,helvetica,sans-serif">
<table cellpadding="5" cellspacing="0" style="width:700px;font-size:13px">
<tr><td colspan="2" style="background-color:${color};color:#fff;text-align:center"><strong>${escapeHtml(n.status)}</strong></td></tr>
${body}
${output}
</table>
</body></html>
`;
}

/** Connection failures and 4xx (transient) SMTP replies are retried; 5xx and auth errors are not. */
function retryable(err: unknown): boolean {
  const e = err as { code?: string; responseCode?: number };
  if (typeof e.responseCode === "number") return e.responseCode >= 400 && e.responseCode < 500;
  return ["ECONNECTION", "ETIMEDOUT", "ESOCKET", "EDNS", "ECONNRESET"].includes(e.code ?? "");
}

export default defineNotifier({
  info: {
    name: "smtp",
    description: "Send an email with SMTP",
    permissions: {},
    example: `notifiers:
  smtp:
    host_port: "smtp.example.com:587"
    from: "falco-talon@example.com"
    to: "secops@example.com, oncall@example.com"
    user: "falco-talon"
    password: "xxxx"
    format: html
    tls: true
`,
  },
  parameters,
  async send(notification, settings, env) {
    const sep = settings.host_port.lastIndexOf(":");
    const host = settings.host_port.slice(0, sep).replace(/^\[|\]$/g, "");
    const port = Number(settings.host_port.slice(sep + 1));
    const timeout = settings.timeout_seconds * 1000;
    // Loaded on the first notification: nodemailer is large and most set-ups never send e-mail.
    const { default: nodemailer } = await import("nodemailer");
    const transport = nodemailer.createTransport({
      host,
      port,
      secure: false,
      requireTLS: settings.tls,
      ignoreTLS: !settings.tls,
      auth: settings.user !== "" ? { user: settings.user, pass: settings.password } : undefined,
      tls: { rejectUnauthorized: !settings.tls_skip_verify, servername: host },
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
    });
    const message = {
      from: settings.from,
      to: settings.to,
      subject: smtpSubject(notification),
      text: smtpText(notification),
      html: settings.format === "html" ? smtpHtml(notification) : undefined,
    };
    try {
      for (let attempt = 1; ; attempt++) {
        env.signal.throwIfAborted();
        try {
          await transport.sendMail(message);
          return;
        } catch (err) {
          if (attempt >= settings.max_attempts || !retryable(err)) {
            const tries = attempt > 1 ? ` (after ${attempt} attempts)` : "";
            throw new Error(`smtp ${settings.host_port}: ${errorText(err)}${tries}`);
          }
          await new Promise((r) => setTimeout(r, 250 * 2 ** (attempt - 1)));
        }
      }
    } finally {
      transport.close();
    }
  },
});
