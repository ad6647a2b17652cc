/**
 * One event: as received, the rules it matched and why, and each action's plan, result,
 * duration, error, notifications and outputs (download links or object keys), with revert
 * buttons on reversible actions. The live stream keeps it current.
 */

import { useEffect, useState } from "preact/hooks";
import type { ConsoleAction, ConsoleEvent } from "../../src/console/types";
import { ApiError, getEvent, openStream } from "../api";
import { Badge } from "../components/badge";
import { KeyValues } from "../components/key-values";
import { MatchList } from "../components/match-list";
import { RevertButton } from "../components/revert-button";
import { formatDuration, formatTime, json } from "../format";

function ActionCard({ a, index, onReverted }: { a: ConsoleAction; index: number; onReverted: () => void }) {
  const headingId = `action-${index}`;
  return (
    <article class="action" aria-labelledby={headingId}>
      <h3 id={headingId}>
        {a.rule} → {a.action} <span class="muted">({a.actionner})</span>
      </h3>
      <p>
        <Badge word={a.status} label="result" />{" "}
        {a.reverted ? (
          <Badge word={a.reverted.status === "success" ? "reverted" : a.reverted.status} label="revert" />
        ) : null}
      </p>
      <KeyValues
        values={{
          target: a.target,
          time: formatTime(a.time),
          duration: formatDuration(a.duration_ms),
          stage: a.stage,
          reason: a.reason,
          "action id": a.action_id,
          "revert at": a.revert_at ? formatTime(a.revert_at) : undefined,
        }}
      />
      {a.error ? (
        <p class="error">
          <strong>Error:</strong> {a.error}
        </p>
      ) : null}
      {a.plan ? (
        <>
          <h4>Plan</h4>
          <pre class="plan">{a.plan}</pre>
        </>
      ) : null}
      {a.objects && Object.keys(a.objects).length > 0 ? (
        <>
          <h4>Objects</h4>
          <KeyValues values={a.objects} />
        </>
      ) : null}
      {a.details && Object.keys(a.details).length > 0 ? (
        <details>
          <summary>Details</summary>
          <pre>{json(a.details)}</pre>
        </details>
      ) : null}
      {a.outputs.length > 0 ? (
        <>
          <h4>Outputs</h4>
          <ul class="outputs">
            {a.outputs.map((o, i) => (
              <li key={i}>
                <Badge word={o.status} label={o.target} />
                {o.error ? <span class="error"> {o.error}</span> : null}
                {o.download ? (
                  <>
                    {" "}
                    <a href={o.download} download>
                      Download {o.objects.file ?? o.objects.path ?? "artifact"}
                    </a>
                  </>
                ) : null}
                <KeyValues values={o.objects} />
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {a.notifications.length > 0 ? (
        <>
          <h4>Notifications</h4>
          <ul class="inline-list">
            {a.notifications.map((n, i) => (
              <li key={i}>
                <Badge word={n.status} label={n.notifier} />
                {n.error ? <span class="error"> {n.error}</span> : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {a.reverted ? (
        <p>
          Reverted {formatTime(a.reverted.time)} ({a.reverted.trigger}): {a.reverted.status}
          {a.reverted.conflicts?.length ? `; conflicts: ${a.reverted.conflicts.join("; ")}` : ""}
        </p>
      ) : null}
      {/* kept after a revert so its answer stays on screen (a second press says "already reverted") */}
      {(a.reversible || a.reverted) && a.action_id ? (
        <RevertButton actionId={a.action_id} onDone={onReverted} />
      ) : null}
    </article>
  );
}

export function EventPage({ id }: { id: string }) {
  const [event, setEvent] = useState<ConsoleEvent | undefined>();
  const [error, setError] = useState("");
  const [reload, setReload] = useState(0);

  useEffect(() => {
    let stop = false;
    getEvent(id).then(
      (e) => !stop && setEvent(e),
      (err: Error) =>
        !stop &&
        setError(
          err instanceof ApiError && err.status === 404
            ? "No such event (it may have aged out of the engine's memory)."
            : err.message,
        ),
    );
    return () => {
      stop = true;
    };
  }, [id, reload]);

  useEffect(() => {
    const close = openStream(
      new URLSearchParams(),
      (e) => {
        if (e.id === id) setEvent(e);
      },
      () => undefined,
      // on each (re)connection: fetch the event again, for any update sent while unconnected
      () => setReload((r) => r + 1),
    );
    return close;
  }, [id]);

  if (error)
    return (
      <>
        <h1 tabIndex={-1}>Event</h1>
        <p role="alert" class="error">
          {error}
        </p>
      </>
    );
  if (!event)
    return (
      <>
        <h1 tabIndex={-1}>Event</h1>
        <p role="status">Loading…</p>
      </>
    );
  const ev = event.event;
  return (
    <>
      <h1 tabIndex={-1}>
        Event: {ev.rule} <Badge word={ev.priority} />
      </h1>
      <p>
        <a href={`/ui/rehearse?from=${encodeURIComponent(event.id)}`}>Rehearse this event</a>
      </p>
      <section aria-labelledby="received-heading">
        <h2 id="received-heading">As received</h2>
        <KeyValues
          values={{
            id: event.id,
            "received at": formatTime(event.received_at),
            replica: event.replica,
            "trace id": event.trace_id,
            priority: ev.priority,
            "Falco rule": ev.rule,
            source: ev.source,
            hostname: ev.hostname,
            time: ev.time,
            tags: ev.tags.join(", "),
          }}
        />
        <h3>Output</h3>
        <pre class="output">{ev.output}</pre>
        <h3>Output fields</h3>
        <KeyValues values={ev.output_fields} class="fields" />
        <details>
          <summary>Raw event JSON</summary>
          <pre>{json(ev)}</pre>
        </details>
      </section>
      <section aria-labelledby="matches-heading">
        <h2 id="matches-heading">Matched rules ({event.matches.length})</h2>
        {event.matches.length === 0 ? (
          <p class="muted">No Talon rule matched this event.</p>
        ) : (
          <MatchList matches={event.matches} />
        )}
      </section>
      <section aria-labelledby="actions-heading">
        <h2 id="actions-heading">Actions ({event.actions.length})</h2>
        {event.actions.length === 0 ? <p class="muted">No action ran (yet).</p> : null}
        {event.actions.map((a, i) => (
          <ActionCard key={a.action_id ?? i} a={a} index={i} onReverted={() => setReload((r) => r + 1)} />
        ))}
      </section>
    </>
  );
}
