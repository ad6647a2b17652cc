/**
 * The reversible actions over HTTP:
 *   GET  /actions                          the kept reversible actions (JSON)
 *   POST /actions/<id>/revert[?dry_run=true] undo one
 * Both need the bearer token whenever `auth.token` is set, whatever `auth.protect` says
 * (src/server/auth.ts): undoing a containment is an operator's act, not an event's.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { StoredAction } from "../undo/action.js";
import type { RevertOutcome } from "../undo/reverter.js";

export interface ActionsHandlers {
  list(): Promise<StoredAction[]>;
  revert(id: string, dryRun: boolean): Promise<RevertOutcome>;
}

type Reply = (status: number, body: string, contentType?: string) => void;

/** True when the path is one of these endpoints (then the request was answered). */
export function isActionsPath(path: string): boolean {
  return path === "/actions" || path.startsWith("/actions/");
}

export async function handleActions(
  h: ActionsHandlers,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  reply: Reply,
): Promise<void> {
  const json = (status: number, value: unknown) =>
    reply(status, `${JSON.stringify(value)}\n`, "application/json");
  if (path === "/actions") {
    if (req.method !== "GET") return methodNotAllowed(res, reply, "GET");
    req.resume();
    json(200, { actions: await h.list() });
    return;
  }
  const m = /^\/actions\/([^/]*)\/revert$/.exec(path);
  if (!m) {
    req.resume();
    reply(404, "Not Found\nuse GET /actions or POST /actions/<id>/revert\n");
    return;
  }
  if (req.method !== "POST") return methodNotAllowed(res, reply, "POST");
  req.resume();
  const query = new URLSearchParams((req.url ?? "").split("?")[1] ?? "");
  const dryRun = query.get("dry_run");
  if (dryRun !== null && dryRun !== "true" && dryRun !== "false") {
    reply(400, `Bad Request\ndry_run must be true or false\n`);
    return;
  }
  const outcome = await h.revert(decodeURIComponentSafe(m[1]!), dryRun === "true");
  switch (outcome.kind) {
    case "invalid_id":
      reply(400, `Bad Request\n${outcome.message}\n`);
      return;
    case "not_found":
      reply(404, `Not Found\n${outcome.message}\n`);
      return;
    case "busy":
      res.setHeader("Retry-After", "5");
      reply(409, `Conflict\n${outcome.message}\n`);
      return;
    case "already_reverted":
    case "reverted": {
      const r = outcome.result;
      const status = r.status === "success" ? 200 : r.status === "conflict" ? 409 : 502;
      json(status, {
        action_id: outcome.action.action_id,
        rule: outcome.action.rule,
        action: outcome.action.action,
        actionner: outcome.action.actionner,
        status: r.status,
        dry_run: outcome.kind === "reverted" && outcome.dryRun,
        already_reverted: outcome.kind === "already_reverted",
        reverted: r.reverted,
        unchanged: r.unchanged,
        conflicts: r.conflicts,
        ...(r.error ? { error: r.error } : {}),
        objects: r.objects,
      });
    }
  }
}

function methodNotAllowed(res: ServerResponse, reply: Reply, allow: string): void {
  res.setHeader("Allow", allow);
  reply(405, `Method Not Allowed\nuse ${allow}\n`);
}

/** A malformed escape is passed on as is: the id check refuses it with a clear message. */
function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
