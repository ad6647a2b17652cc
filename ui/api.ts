/**
 * Calls to the server's /ui/api/*. A 401 (no session, or an expired one) sends the browser to the
 * sign-in page; every state-changing call carries the header the server requires against CSRF.
 */

import type { ConsoleEvent, EventsPage, RehearseResult, RulesState, Stats } from "../src/console/types";

export const API = "/ui/api";
const CSRF_HEADER = { "X-Talon-Console": "1" };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
  }
}

export function toSignIn(): void {
  const next = location.pathname + location.search;
  location.assign(`/ui/signin?next=${encodeURIComponent(next)}`);
}

async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text();
  let body: unknown = text;
  let message = text.trim() || `${res.status} ${res.statusText}`;
  try {
    body = JSON.parse(text);
    const b = body as { error?: unknown; message?: unknown };
    if (typeof b.error === "string") message = b.error;
    else if (typeof b.message === "string") message = b.message;
  } catch {
    // plain text answer: keep it as the message
  }
  return new ApiError(res.status, message, body);
}

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(API + path, { credentials: "same-origin", ...init });
  if (res.status === 401) {
    toSignIn();
    throw new ApiError(401, "signed out");
  }
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as T;
}

export function getEvents(query: URLSearchParams): Promise<EventsPage> {
  return call(`/events?${query}`);
}

export function getEvent(id: string): Promise<ConsoleEvent> {
  return call(`/events/${encodeURIComponent(id)}`);
}

export function getStats(since: string, bucket: number): Promise<Stats> {
  return call(`/stats?${new URLSearchParams({ since, bucket: String(bucket) })}`);
}

export function getRules(): Promise<RulesState> {
  return call("/rules");
}

export function rehearse(event: unknown): Promise<RehearseResult> {
  return call("/rehearse", {
    method: "POST",
    headers: { ...CSRF_HEADER, "Content-Type": "application/json" },
    body: JSON.stringify(event),
  });
}

/** The revert answer as the server gives it, whatever its status (409 and 502 carry details). */
export interface RevertAnswer {
  status: number;
  body: Record<string, unknown>;
}

export async function revertAction(actionId: string, dryRun: boolean): Promise<RevertAnswer> {
  const q = dryRun ? "?dry_run=true" : "";
  const res = await fetch(`${API}/actions/${encodeURIComponent(actionId)}/revert${q}`, {
    method: "POST",
    credentials: "same-origin",
    headers: CSRF_HEADER,
  });
  if (res.status === 401) {
    toSignIn();
    throw new ApiError(401, "signed out");
  }
  const text = await res.text();
  let body: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(text);
    body = parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>) : { message: text };
  } catch {
    body = { message: text.trim() };
  }
  return { status: res.status, body };
}

export async function signOut(): Promise<void> {
  await fetch("/ui/signout", { method: "POST", credentials: "same-origin", headers: CSRF_HEADER });
  location.assign("/ui/signin");
}

/** The live stream with the timeline's filters; `onMessage` gets each new or updated event. */
export function openStream(
  query: URLSearchParams,
  onMessage: (event: ConsoleEvent, kind: "event" | "update") => void,
  onState: (state: "live" | "reconnecting" | "closed") => void,
  onOpen?: () => void,
): () => void {
  const source = new EventSource(`${API}/stream?${query}`);
  const handle = (kind: "event" | "update") => (msg: MessageEvent<string>) => {
    try {
      onMessage(JSON.parse(msg.data) as ConsoleEvent, kind);
    } catch {
      // a malformed message is dropped; the next one replaces the event whole anyway
    }
  };
  source.addEventListener("event", handle("event"));
  source.addEventListener("update", handle("update"));
  source.onopen = () => {
    onState("live");
    // the stream starts from now, on each (re)connection: the caller reloads what came before
    onOpen?.();
  };
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) {
      onState("closed");
      // the stream gives up on a non-200 answer: a cheap call tells whether the session expired
      getRules().catch(() => undefined);
    } else onState("reconnecting");
  };
  return () => source.close();
}
