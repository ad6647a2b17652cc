/** The console's client-side routes under /ui (pure: no DOM). */

export const BASE = "/ui";

export type Route =
  | { page: "timeline" }
  | { page: "event"; id: string }
  | { page: "rules" }
  | { page: "rehearse" }
  | { page: "missing"; path: string };

function decoded(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined; // a malformed escape: no such page
  }
}

export function parseRoute(pathname: string): Route {
  if (pathname !== BASE && !pathname.startsWith(`${BASE}/`)) return { page: "missing", path: pathname };
  const parts = pathname
    .slice(BASE.length)
    .split("/")
    .filter((p) => p !== "");
  if (parts.length === 0) return { page: "timeline" };
  const id = parts[0] === "events" && parts.length === 2 ? decoded(parts[1]!) : undefined;
  if (id) return { page: "event", id };
  if (parts.length === 1 && parts[0] === "rules") return { page: "rules" };
  if (parts.length === 1 && parts[0] === "rehearse") return { page: "rehearse" };
  return { page: "missing", path: pathname };
}

export function eventHref(id: string): string {
  return `${BASE}/events/${encodeURIComponent(id)}`;
}
