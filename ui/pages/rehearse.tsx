/**
 * Rehearse: an event (pasted, or a recent one picked and edited) goes through the rules without
 * running anything; the page shows the matches and why, the misses, each action's rendered plan,
 * and for `dry_run: server` rules the API server's own verdict.
 */

import { useEffect, useState } from "preact/hooks";
import type { ConsoleEvent, RehearseResult } from "../../src/console/types";
import { getEvent, getEvents, rehearse } from "../api";
import { Badge } from "../components/badge";
import { KeyValues } from "../components/key-values";
import { MatchList } from "../components/match-list";
import { formatTime, json } from "../format";

const EXAMPLE = {
  output: "A shell was spawned in a container (user=root pod=web ns=default)",
  priority: "Warning",
  rule: "Terminal shell in container",
  time: new Date().toISOString(),
  source: "syscall",
  hostname: "node-1",
  output_fields: { "k8s.ns.name": "default", "k8s.pod.name": "web", "proc.name": "bash" },
  tags: ["container", "shell"],
};

/** The event as Falco posts it, from a console event. */
function asPosted(e: ConsoleEvent): unknown {
  const { output, priority, rule, time, source, hostname, output_fields, tags } = e.event;
  return { output, priority, rule, time, source, hostname, output_fields, tags };
}

export function RehearsePage({ search }: { search: string }) {
  const from = new URLSearchParams(search).get("from") ?? "";
  const [recent, setRecent] = useState<ConsoleEvent[]>([]);
  const [picked, setPicked] = useState(from);
  const [body, setBody] = useState(json(EXAMPLE));
  const [result, setResult] = useState<RehearseResult | undefined>();
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    getEvents(new URLSearchParams({ limit: "20" })).then(
      (page) => setRecent(page.events),
      () => undefined,
    );
  }, []);
  useEffect(() => {
    if (!from) return;
    getEvent(from).then(
      (e) => setBody(json(asPosted(e))),
      (err: Error) => setError(`Could not load event ${from}: ${err.message}`),
    );
  }, [from]);

  const pick = (id: string) => {
    setPicked(id);
    const e = recent.find((r) => r.id === id);
    if (e) setBody(json(asPosted(e)));
  };

  const submit = async (ev: Event) => {
    ev.preventDefault();
    setError("");
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (err) {
      setError(`The event is not valid JSON: ${(err as Error).message}`);
      return;
    }
    setBusy(true);
    try {
      setResult(await rehearse(parsed));
    } catch (err) {
      setResult(undefined);
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <h1 tabIndex={-1}>Rehearse</h1>
      <p>
        Try an event against the rules in force. Nothing is run: the plans show what each action would do.
      </p>
      <form class="rehearse" onSubmit={submit} aria-label="Rehearse an event">
        <div class="field">
          <label for="r-pick">Start from a recent event</label>
          <select
            id="r-pick"
            value={picked}
            onChange={(e) => pick((e.currentTarget as HTMLSelectElement).value)}
          >
            <option value="">— example event —</option>
            {recent.map((e) => (
              <option key={e.id} value={e.id}>
                {formatTime(e.received_at)} · {e.event.priority} · {e.event.rule}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="r-event">Event (JSON, as Falco posts it)</label>
          <textarea
            id="r-event"
            rows={16}
            spellcheck={false}
            value={body}
            onInput={(e) => setBody((e.currentTarget as HTMLTextAreaElement).value)}
          />
        </div>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Rehearsing…" : "Rehearse"}
        </button>
      </form>
      <div role="status" aria-live="polite" class="visually-hidden">
        {result ? `${result.matches.length} rules match, ${result.plans.length} actions planned.` : ""}
      </div>
      {error ? (
        <p role="alert" class="error">
          {error}
        </p>
      ) : null}
      {result ? <RehearseResults result={result} /> : null}
    </>
  );
}

function RehearseResults({ result }: { result: RehearseResult }) {
  return (
    <div class="results">
      <section aria-labelledby="rh-matches">
        <h2 id="rh-matches">Matching rules ({result.matches.length})</h2>
        {result.matches.length === 0 ? (
          <p class="muted">No rule matches this event.</p>
        ) : (
          <MatchList matches={result.matches} />
        )}
      </section>
      <section aria-labelledby="rh-plans">
        <h2 id="rh-plans">Plans ({result.plans.length})</h2>
        {result.plans.map((p, i) => (
          <article class="action" key={i} aria-labelledby={`plan-${i}`}>
            <h3 id={`plan-${i}`}>
              {p.rule} → {p.action} <span class="muted">({p.actionner})</span>
            </h3>
            {p.error ? (
              <p class="error">
                <strong>Error:</strong> {p.error}
              </p>
            ) : null}
            {p.plan ? <pre class="plan">{p.plan}</pre> : null}
            {p.objects ? <KeyValues values={p.objects} /> : null}
            {p.server_dry_run ? (
              <p>
                <Badge word={p.server_dry_run.status} label="API server dry run" />
                {p.server_dry_run.error ? <span class="error"> {p.server_dry_run.error}</span> : null}
              </p>
            ) : null}
            {p.details && Object.keys(p.details).length > 0 ? (
              <details>
                <summary>Details</summary>
                <pre>{json(p.details)}</pre>
              </details>
            ) : null}
          </article>
        ))}
      </section>
      <section aria-labelledby="rh-misses">
        <h2 id="rh-misses">Rules that did not match ({result.misses.length})</h2>
        {result.misses.length > 0 ? (
          <details>
            <summary>Show why each did not match</summary>
            <MatchList matches={result.misses} />
          </details>
        ) : null}
      </section>
    </div>
  );
}
