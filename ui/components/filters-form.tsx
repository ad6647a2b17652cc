/** The timeline's filter form: every control labelled; applied on submit, cleared by Reset. */

import { useEffect, useState } from "preact/hooks";
import { type Filters, toQuery } from "../filters";
import { ACTION_STATUSES, PRIORITIES } from "../format";

const TEXT_FIELDS: {
  key: "falco_rule" | "rule" | "namespace" | "pod" | "actionner";
  label: string;
  hint?: string;
}[] = [
  { key: "falco_rule", label: "Falco rule" },
  { key: "rule", label: "Talon rule" },
  { key: "namespace", label: "Namespace" },
  { key: "pod", label: "Pod" },
  { key: "actionner", label: "Actionner", hint: "e.g. kubernetes:terminate" },
];

export function FiltersForm({
  filters,
  onApply,
}: {
  filters: Filters;
  onApply: (q: URLSearchParams) => void;
}) {
  const [draft, setDraft] = useState<Filters>(filters);
  useEffect(() => setDraft(filters), [filters]);
  const set = (key: keyof Filters) => (e: Event) =>
    setDraft((d) => ({ ...d, [key]: (e.currentTarget as HTMLInputElement | HTMLSelectElement).value }));
  return (
    <form
      class="filters"
      aria-label="Filter events"
      onSubmit={(e) => {
        e.preventDefault();
        onApply(toQuery(draft));
      }}
    >
      <div class="field wide">
        <label for="f-q">Search</label>
        <input
          id="f-q"
          name="q"
          type="search"
          value={draft.q ?? ""}
          onInput={set("q")}
          placeholder="text in the output, fields, rules…"
        />
      </div>
      <div class="field">
        <label for="f-priority">Priority</label>
        <select id="f-priority" name="priority" value={draft.priority ?? ""} onChange={set("priority")}>
          <option value="">any</option>
          {PRIORITIES.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
      </div>
      {TEXT_FIELDS.map((f) => (
        <div class="field" key={f.key}>
          <label for={`f-${f.key}`}>{f.label}</label>
          <input
            id={`f-${f.key}`}
            name={f.key}
            type="text"
            value={draft[f.key] ?? ""}
            onInput={set(f.key)}
            placeholder={f.hint}
            autocomplete="off"
          />
        </div>
      ))}
      <div class="field">
        <label for="f-status">Action status</label>
        <select id="f-status" name="status" value={draft.status ?? ""} onChange={set("status")}>
          <option value="">any</option>
          {ACTION_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="f-since">Since</label>
        <input
          id="f-since"
          name="since"
          type="text"
          value={draft.since ?? ""}
          onInput={set("since")}
          placeholder="15m, 6h, 7d or a time"
          aria-describedby="f-time-hint"
        />
      </div>
      <div class="field">
        <label for="f-until">Until</label>
        <input
          id="f-until"
          name="until"
          type="text"
          value={draft.until ?? ""}
          onInput={set("until")}
          placeholder="a time (ISO 8601)"
          aria-describedby="f-time-hint"
        />
      </div>
      <p id="f-time-hint" class="hint">
        Times: a duration back from now (15m, 6h, 7d) or an ISO 8601 time such as 2026-12-01T10:00:00Z.
      </p>
      <div class="buttons">
        <button type="submit" class="primary">
          Apply filters
        </button>
        <button
          type="button"
          onClick={() => {
            setDraft({});
            onApply(new URLSearchParams());
          }}
        >
          Reset
        </button>
      </div>
    </form>
  );
}
