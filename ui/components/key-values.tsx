import { text } from "../format";

/** A definition list of name → value, skipping empty values. */
export function KeyValues({ values, class: cls }: { values: Record<string, unknown>; class?: string }) {
  const entries = Object.entries(values).filter(([, v]) => v !== undefined && v !== null && v !== "");
  if (entries.length === 0) return null;
  return (
    <dl class={`kv ${cls ?? ""}`}>
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{text(v)}</dd>
        </div>
      ))}
    </dl>
  );
}
