/** The console's frame: skip link, header with navigation, the routed page in <main>. */

import { useEffect, useRef } from "preact/hooks";
import { signOut } from "./api";
import { EventPage } from "./pages/event";
import { RehearsePage } from "./pages/rehearse";
import { RulesPage } from "./pages/rules";
import { Timeline } from "./pages/timeline";
import { BASE, onLinkClick, parseRoute, type Route, useLocation } from "./router";

const TITLES: Record<Route["page"], string> = {
  timeline: "Timeline",
  event: "Event",
  rules: "Rules",
  rehearse: "Rehearse",
  missing: "Not found",
};

function NavLink({ href, current, children }: { href: string; current: boolean; children: string }) {
  return (
    <a href={href} aria-current={current ? "page" : undefined}>
      {children}
    </a>
  );
}

export function App() {
  const { pathname, search } = useLocation();
  const route = parseRoute(pathname);
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);

  // on navigation, the new page's heading takes focus (screen readers announce it) and the title follows
  useEffect(() => {
    document.title = `${TITLES[route.page]} · falco-talon console`;
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.querySelector<HTMLElement>("h1")?.focus();
  }, [pathname]);

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: one delegated handler for the links inside (keyboard activation of a link fires click too)
    // biome-ignore lint/a11y/useKeyWithClickEvents: same
    <div class="shell" onClick={onLinkClick}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">falco-talon console</span>
        <nav aria-label="Console">
          <NavLink href={`${BASE}/`} current={route.page === "timeline"}>
            Timeline
          </NavLink>
          <NavLink href={`${BASE}/rules`} current={route.page === "rules"}>
            Rules
          </NavLink>
          <NavLink href={`${BASE}/rehearse`} current={route.page === "rehearse"}>
            Rehearse
          </NavLink>
        </nav>
        <button type="button" class="signout" onClick={() => signOut()}>
          Sign out
        </button>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {route.page === "timeline" ? <Timeline search={search} /> : null}
        {route.page === "event" ? <EventPage id={route.id} /> : null}
        {route.page === "rules" ? <RulesPage /> : null}
        {route.page === "rehearse" ? <RehearsePage search={search} /> : null}
        {route.page === "missing" ? (
          <>
            <h1 tabIndex={-1}>Not found</h1>
            <p>
              Nothing at {route.path}. Go to the <a href={`${BASE}/`}>timeline</a>.
            </p>
          </>
        ) : null}
      </main>
    </div>
  );
}
