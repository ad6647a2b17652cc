/**
 * The one way an unknown thrown value becomes log text. Libraries throw more than Errors: the
 * Kubernetes exec client rejects with WebSocket error events and `V1Status` objects, so a plain
 * `String(err)` printed `[object Object]`. This finds the message wherever it is.
 */
const MAX = 2000;

export function errorText(err: unknown): string {
  const text = describe(err, 0);
  return text.length > MAX ? `${text.slice(0, MAX)}…` : text;
}

function describe(err: unknown, depth: number): string {
  if (err === undefined || err === null) return "unknown error";
  if (typeof err === "string") return err === "" ? "unknown error" : err;
  if (typeof err !== "object") return String(err);
  if (depth > 3) return "unknown error";
  const o = err as Record<string, unknown>;
  const message = typeof o.message === "string" && o.message !== "" ? o.message : undefined;
  if (err instanceof Error) {
    if (message) return message;
    if (o.cause !== undefined) return describe(o.cause, depth + 1);
    return o.name ? String(o.name) : "unknown error";
  }
  // A Kubernetes Status: prefer its message, then its reason and code.
  if (o.kind === "Status" || (typeof o.status === "string" && "reason" in o)) {
    const parts = [message ?? (typeof o.reason === "string" ? o.reason : undefined), codeText(o.code)];
    const text = parts.filter(Boolean).join(" ");
    if (text) return text;
  }
  if (message) return message;
  // A WebSocket ErrorEvent carries the real error in `error`.
  if (o.error !== undefined && o.error !== err) return describe(o.error, depth + 1);
  if (typeof o.type === "string" && o.type !== "") return `${o.type} event`;
  try {
    const json = JSON.stringify(err);
    if (json && json !== "{}") return json;
  } catch {
    // circular: fall through
  }
  const name = (err as object).constructor?.name;
  return name && name !== "Object" ? name : "unknown error";
}

function codeText(code: unknown): string | undefined {
  return typeof code === "number" ? `(HTTP ${code})` : undefined;
}
