import { statusGlyph, tone as toneOf } from "../format";

/**
 * A priority or status word with its colour and a glyph (colour is never the only signal).
 * `tone` overrides the colour picked from the word.
 */
export function Badge({ word, label, tone }: { word: string; label?: string; tone?: string }) {
  const t = tone ?? toneOf(word);
  return (
    <span class={`badge tone-${t}`}>
      <span aria-hidden="true">
        {statusGlyph(t === "good" ? "success" : t === "bad" ? "failure" : word)}{" "}
      </span>
      {label ? `${label}: ` : ""}
      {word || "unknown"}
    </span>
  );
}
