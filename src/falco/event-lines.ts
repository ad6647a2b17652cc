// Reads an audit log as it arrives: one JSON value per line, in batches of lines, so memory
// stays bounded whatever the input's size. A file that is one multi-line JSON document (an
// EventList as kubectl or the API prints it) is gathered whole, as it must be to be parsed.
import { errorText } from "../error-text.js";

/** A longer line is reported and skipped: it would hold memory without bound. */
export const MAX_LINE = 16 * 1024 * 1024;

export type EventSink = {
  /** one parsed JSON value */
  value(v: unknown): void;
  /** a problem with the input, already located (`events:<line>: …`) */
  problem(text: string): void;
  /** called after each batch: reading waits for it (backpressure) */
  batchDone(): Promise<void>;
};

/** Feeds the values of `input` (decoded text chunks) to `sink`. */
export async function readEventValues(input: AsyncIterable<string>, sink: EventSink): Promise<void> {
  let rest = "";
  let lineNo = 0;
  /** undefined until the first non-blank line tells: JSON lines, or one document */
  let mode: "lines" | "document" | undefined;
  const doc: string[] = [];
  let skipping = false;

  const onLine = (line: string) => {
    lineNo++;
    if (mode === "document") {
      doc.push(line);
      return;
    }
    if (line.trim() === "") return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      if (mode === undefined) {
        // not a JSON value on its own: the first line of a multi-line document
        mode = "document";
        doc.push(line);
        return;
      }
      sink.problem(`events:${lineNo}: invalid JSON: ${errorText(e)}`);
      return;
    }
    mode = "lines";
    sink.value(v);
  };

  for await (const chunk of input) {
    let text = rest === "" ? chunk : rest + chunk;
    let start = 0;
    for (;;) {
      const nl = text.indexOf("\n", start);
      if (nl < 0) break;
      if (skipping) skipping = false;
      else
        onLine(
          text.charCodeAt(nl - 1) === 13 && nl > start ? text.slice(start, nl - 1) : text.slice(start, nl),
        );
      start = nl + 1;
    }
    rest = start === 0 ? text : text.slice(start);
    text = "";
    if (mode !== "document" && rest.length > MAX_LINE) {
      lineNo++;
      sink.problem(`events:${lineNo}: line longer than 16 MiB, skipped`);
      rest = "";
      skipping = true;
    }
    await sink.batchDone();
  }
  if (rest !== "" && !skipping) onLine(rest);
  if (mode !== "document") return;
  const whole = doc.join("\n");
  doc.length = 0;
  try {
    sink.value(JSON.parse(whole));
    return;
  } catch {
    // not one document either: report each line that is not JSON, as for JSON lines
  }
  mode = "lines";
  lineNo = 0;
  for (const line of whole.split("\n")) onLine(line);
}
