/**
 * Client-side routes under /ui (the server answers every such path with index.html): the
 * browser's history is the only state; `navigate` pushes and tells listeners with a popstate.
 */

import { useEffect, useState } from "preact/hooks";

export { BASE, eventHref, parseRoute, type Route } from "./routes";

import { BASE } from "./routes";

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
