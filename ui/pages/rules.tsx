/** The merged rules in force, each with its origin, and the last reload's time, result and problems. */

import { useEffect, useState } from "preact/hooks";
import type { RulesState } from "../../src/console/types";
import { getRules } from "../api";
import { Badge } from "../components/badge";
import { formatTime, json } from "../format";

export function RulesPage() {
  const [state, setState] = useState<RulesState | undefined>();
  const [error, setError] = useState("");
  useEffect(() => {
    let stop = false;
    const load = () =>
      getRules().then(
        (s) => {
          if (stop) return;
          setState(s);
          setError("");
        },
        (err: Error) => !stop && setError(err.message),
      );
    load();
    const timer = setInterval(load, 10_000);
    return () => {
      stop = true;
      clearInterval(timer);
    };
  }, []);
  return (
    <>
      <h1 tabIndex={-1}>Rules</h1>
      {error ? (
        <p role="alert" class="error">
          {error}
        </p>
      ) : null}
      {!state && !error ? <p role="status">Loading…</p> : null}
      {state ? (
        <>
          <section aria-labelledby="reload-heading">
            <h2 id="reload-heading">Last reload</h2>
            <p role="status" aria-live="polite">
              <Badge word={state.last_reload.ok ? "ok" : "failure"} label="result" />{" "}
              {state.last_reload.ok ? "took effect" : "failed: the previous rules stay in force"} at{" "}
              <time dateTime={state.last_reload.time}>{formatTime(state.last_reload.time)}</time>
            </p>
            {state.last_reload.problems.length > 0 ? (
              <>
                <h3>Problems</h3>
                <ul class="problems">
                  {state.last_reload.problems.map((p, i) => (
                    <li key={i}>
                      <code>{p}</code>
                    </li>
                  ))}
                </ul>
              </>
            ) : null}
            <h3>Files</h3>
            <ul>
              {state.files.map((f) => (
                <li key={f}>
                  <code>{f}</code>
                </li>
              ))}
            </ul>
          </section>
          <section aria-labelledby="rules-heading">
            <h2 id="rules-heading">Rules in force ({state.rules.length})</h2>
            {state.rules.map((r, i) => (
              <article class="rule" key={`${r.name}-${i}`} aria-labelledby={`rule-${i}`}>
                <h3 id={`rule-${i}`}>
                  {r.name} {r.origin ? <span class="origin">{r.origin}</span> : null}
                </h3>
                {r.description ? <p>{r.description}</p> : null}
                <p class="flags">
                  {r.dry_run ? (
                    <Badge word={r.dry_run === "server" ? "server" : "yes"} label="dry run" tone="warn" />
                  ) : null}{" "}
                  {r.continue !== undefined ? (
                    <Badge word={String(r.continue)} label="continue" tone="info" />
                  ) : null}
                </p>
                <h4>Match</h4>
                <pre>{json(r.match)}</pre>
                <h4>Actions</h4>
                <ol>
                  {r.actions.map((a, j) => (
                    <li key={j}>
                      <strong>{a.name}</strong> <span class="muted">({a.actionner})</span>{" "}
                      {a.origin ? <span class="origin">{a.origin}</span> : null}
                      {Object.keys(a.parameters).length > 0 ? <pre>{json(a.parameters)}</pre> : null}
                    </li>
                  ))}
                </ol>
              </article>
            ))}
          </section>
        </>
      ) : null}
    </>
  );
}
