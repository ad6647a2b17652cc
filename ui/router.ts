/**
 * Client-side routes under /ui (the server answers every such path with index.html): the
 * browser's history is the only state; `navigate` pushes and tells listeners with a popstate.
 */

import { useEffect, useState } from "preact/hooks";

export const BASE = "/ui";

export type Route =
  | { page: "timeline" }
  | { page: "event"; id: string }
  | { page: "rules" }
  | { page: "rehearse" }
  | { page: "missing"; path: string };

export function parseRoute(pathname: string): Route {
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  const parts = rest.split("/").filter((p) => p !== "");
  if (parts.length === 0) return { page: "timeline" };
  if (parts[0] === "events" && parts.length === 2)
    return { page: "event", id: decodeURIComponent(parts[1]!) };
  if (parts.length === 1 && parts[0] === "rules") return { page: "rules" };
  if (parts.length === 1 && parts[0] === "rehearse") return { page: "rehearse" };
  return { page: "missing", path: pathname };
}

export function eventHref(id: string): string {
  return `${BASE}/events/${encodeURIComponent(id)}`;
}

export function navigate(href: string, replace = false): void {
  if (replace) history.replaceState(null, "", href);
  else history.pushState(null, "", href);
  dispatchEvent(new PopStateEvent("popstate"));
}

/** The current location, re-read on every history change. */
export function useLocation(): { pathname: string; search: string } {
  const read = () => ({ pathname: location.pathname, search: location.search });
  const [loc, setLoc] = useState(read);
  useEffect(() => {
    const onPop = () => setLoc(read());
    addEventListener("popstate", onPop);
    return () => removeEventListener("popstate", onPop);
  }, []);
  return loc;
}

/**
 * Same-origin links under /ui navigate without a page load; modified clicks (new tab...) and
 * other links keep the browser's behaviour.
 */
export function onLinkClick(e: MouseEvent): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = (e.target as Element | null)?.closest?.("a");
  if (!a || a.target || a.hasAttribute("download")) return;
  const url = new URL(a.href, location.href);
  if (
    url.origin !== location.origin ||
    !url.pathname.startsWith(`${BASE}/`) ||
    url.pathname.startsWith(`${BASE}/api/`)
  )
    return;
  if (url.pathname === `${BASE}/signin`) return;
  e.preventDefault();
  navigate(url.pathname + url.search + url.hash);
}
