import type { RuleMatch } from "../../src/console/types";
import { Badge } from "./badge";

/** Each Talon rule with its match criteria, what the event had, and whether each held. */
export function MatchList({ matches, headingLevel = 3 }: { matches: RuleMatch[]; headingLevel?: 3 | 4 }) {
  const H = headingLevel === 3 ? "h3" : "h4";
  return (
    <>
      {matches.map((m) => (
        <article class="match" key={m.rule} aria-label={`Rule ${m.rule}`}>
          <H>
            {m.rule} {m.origin ? <span class="origin">{m.origin}</span> : null}
          </H>
          {m.reasons.length === 0 ? (
            <p class="muted">No match criteria: the rule takes every event.</p>
          ) : (
            <table class="reasons">
              <caption class="visually-hidden">Match criteria of {m.rule}</caption>
              <thead>
                <tr>
                  <th scope="col">Criterion</th>
                  <th scope="col">Expected</th>
                  <th scope="col">Event had</th>
                  <th scope="col">Held</th>
                </tr>
              </thead>
              <tbody>
                {m.reasons.map((r, i) => (
                  <tr key={i}>
                    <th scope="row">{r.criterion}</th>
                    <td>
                      <code>{r.expected}</code>
                    </td>
                    <td>
                      <code>{r.actual}</code>
                    </td>
                    <td>
                      <Badge word={r.held ? "yes" : "no"} tone={r.held ? "good" : "bad"} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </article>
      ))}
    </>
  );
}
