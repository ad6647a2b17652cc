/**
 * The live timeline: filters (kept in the page URL), the matching events newest first, kept
 * current by the server-sent stream, and two charts of counts over time.
 */

import { useEffect, useMemo, useState } from "preact/hooks";
import type { ConsoleEvent, Stats } from "../../src/console/types";
import { getEvents, getStats, openStream } from "../api";
import { Badge } from "../components/badge";
import { CountChart } from "../components/chart";
import { FiltersForm } from "../components/filters-form";
import { type Filters, filtersFrom, statsWindow, toQuery } from "../filters";
import { formatTime, text } from "../format";
import { eventHref, navigate } from "../router";

const PAGE = 50;
const KEEP = 500;

function field(e: ConsoleEvent, ...names: string[]): string {
  for (const n of names) {
    const v = e.event.output_fields[n];
    if (v !== undefined && v !== null && v !== "") return text(v);
  }
  return "";
}

/** Adds or replaces by id, newest first. */
function merge(list: ConsoleEvent[], incoming: ConsoleEvent[]): ConsoleEvent[] {
  const byId = new Map(list.map((e) => [e.id, e]));
  for (const e of incoming) byId.set(e.id, e);
  return [...byId.values()]
    .sort((a, b) => b.received_at.localeCompare(a.received_at) || b.id.localeCompare(a.id))
    .slice(0, KEEP);
}

function EventRow({ e }: { e: ConsoleEvent }) {
  const ns = field(e, "k8s.ns.name", "ka.target.namespace");
  const pod = field(e, "k8s.pod.name", "ka.target.name");
  return (
    <tr>
      <td>
        <a href={eventHref(e.id)}>
          <time dateTime={e.received_at}>{formatTime(e.received_at)}</time>
        </a>
      </td>
      <td>
        <Badge word={e.event.priority} />
      </td>
      <td class="rule-cell">{e.event.rule}</td>
      <td>
        {e.matches.length === 0 ? <span class="muted">none</span> : e.matches.map((m) => m.rule).join(", ")}
      </td>
      <td>
        {e.actions.length === 0 ? (
          <span class="muted">none</span>
        ) : (
          <ul class="inline-list">
            {e.actions.map((a, i) => (
              <li key={a.action_id ?? i}>
                <Badge word={a.reverted ? "reverted" : a.status} label={a.actionner} />
              </li>
            ))}
          </ul>
        )}
      </td>
      <td>{[ns, pod].filter(Boolean).join(" / ")}</td>
    </tr>
  );
}

function Charts({ filters, tick }: { filters: Filters; tick: number }) {
  const [stats, setStats] = useState<Stats | undefined>();
  const [error, setError] = useState("");
  const { since, bucket } = statsWindow(filters);
  useEffect(() => {
    let stop = false;
    const load = () =>
      getStats(since, bucket).then(
        (s) => {
          if (stop) return;
          setStats(s);
          setError("");
        },
        (err: Error) => !stop && setError(err.message),
      );
    load();
    const timer = setInterval(load, 15_000);
    return () => {
      stop = true;
      clearInterval(timer);
    };
  }, [since, bucket, tick]);
  const priority = useMemo(
    () => Object.entries(stats?.by_priority ?? {}).map(([name, values]) => ({ name, values })),
    [stats],
  );
  const status = useMemo(
    () => Object.entries(stats?.by_action_status ?? {}).map(([name, values]) => ({ name, values })),
    [stats],
  );
  return (
    <section aria-labelledby="charts-heading" class="charts">
      <h2 id="charts-heading">
        Counts over time{" "}
        <span class="muted">
          (since {since}, {bucket} s buckets)
        </span>
      </h2>
      {error ? (
        <p role="alert" class="error">
          Charts unavailable: {error}
        </p>
      ) : null}
      {stats ? (
        <div class="chart-row">
          <CountChart id="chart-priority" title="Events by priority" times={stats.times} series={priority} />
          <CountChart id="chart-status" title="Actions by status" times={stats.times} series={status} />
        </div>
      ) : null}
    </section>
  );
}

export function Timeline({ search }: { search: string }) {
  const filters = useMemo(() => filtersFrom(search), [search]);
  const query = useMemo(() => toQuery(filters).toString(), [filters]);
  const [events, setEvents] = useState<ConsoleEvent[]>([]);
  const [next, setNext] = useState<string | undefined>();
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState("");
  const [live, setLive] = useState<"connecting" | "live" | "reconnecting" | "closed">("connecting");
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let stop = false;
    setEvents([]);
    setNext(undefined);
    setLoading(true);
    setError("");
    setLive("connecting");
    const loadFirstPage = () =>
      getEvents(toQuery(filters, { limit: String(PAGE) })).then(
        (page) => {
          if (stop) return;
          setEvents((list) => merge(list, page.events));
          setNext((n) => n ?? page.next);
          setLoading(false);
        },
        (err: Error) => {
          if (stop) return;
          setError(err.message);
          setLoading(false);
        },
      );
    // the first page loads now, and again each time the stream (re)connects: an event accepted
    // before the stream was up is then in that page
    const close = openStream(
      new URLSearchParams(query),
      (e, kind) => {
        if (stop) return;
        setEvents((list) => merge(list, [e]));
        if (kind === "event") setTick((t) => t + 1);
      },
      (state) => !stop && setLive(state),
      loadFirstPage,
    );
    loadFirstPage();
    return () => {
      stop = true;
      close();
    };
  }, [query]);

  // new events refresh the charts, at most every 2 s
  const [chartTick, setChartTick] = useState(0);
  useEffect(() => {
    if (tick === 0) return;
    const t = setTimeout(() => setChartTick(tick), 2000);
    return () => clearTimeout(t);
  }, [tick]);

  const older = async () => {
    if (!next) return;
    try {
      const page = await getEvents(toQuery(filters, { limit: String(PAGE), before: next }));
      setEvents((list) => merge(list, page.events));
      setNext(page.next);
    } catch (err) {
      setError((err as Error).message);
    }
  };

  const liveText =
    live === "live"
      ? "Live: new events appear as they arrive."
      : live === "reconnecting"
        ? "Live stream interrupted, reconnecting…"
        : live === "closed"
          ? "Live stream closed. Reload the page to resume."
          : "Connecting to the live stream…";
  const filtered = Object.keys(filters).length > 0;

  return (
    <>
      <h1 tabIndex={-1}>Timeline</h1>
      <FiltersForm filters={filters} onApply={(f) => navigate(`/ui${f.toString() ? `?${f}` : ""}`)} />
      <Charts filters={filters} tick={chartTick} />
      <section aria-labelledby="events-heading">
        <h2 id="events-heading">Events</h2>
        <p role="status" aria-live="polite" class={`live live-${live}`}>
          <span aria-hidden="true" class="dot" /> {liveText}{" "}
          {loading ? "Loading…" : `${events.length} shown${filtered ? " (filtered)" : ""}.`}
        </p>
        {error ? (
          <p role="alert" class="error">
            {error}
          </p>
        ) : null}
        <div class="table-wrap">
          <table class="events" id="events-table">
            <caption class="visually-hidden">Events, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Received</th>
                <th scope="col">Priority</th>
                <th scope="col">Falco rule</th>
                <th scope="col">Talon rules</th>
                <th scope="col">Actions</th>
                <th scope="col">Namespace / pod</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <EventRow key={e.id} e={e} />
              ))}
            </tbody>
          </table>
        </div>
        {!loading && events.length === 0 ? (
          <p class="muted">No events{filtered ? " match these filters" : " yet"}.</p>
        ) : null}
        {next ? (
          <button type="button" onClick={older}>
            Load older events
          </button>
        ) : null}
      </section>
    </>
  );
}
