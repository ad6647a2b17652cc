// CLI `detect`: replays audit events (a file or standard input) through Falco rules as they are
// read, writing each alert as a Falco JSON line as it is found; memory stays bounded.
import { hostname as osHostname } from "node:os";
import { Writable } from "node:stream";
import { errorText } from "../error-text.js";
import { LineWriter } from "./alert-writer.js";
import { FalcoInputError } from "./engine.js";
import { fileChunks, readEventValues } from "./event-lines.js";
import { formatAlertJson, formatProblem, loadFalcoRules } from "./index.js";
import { DEFAULT_SETTINGS, type FalcoSettings } from "./settings.js";

export interface DetectOptions {
  rules: string[];
  /** a file, or `-` for standard input: one JSON audit event (or EventList) per line, or one EventList document */
  events: string;
  /** where alerts and messages go, one line each (tests); default: `output` */
  out?: (line: string) => void;
  /** the stream alerts and messages are written to when `out` is not given */
  output?: Writable;
  /** standard input, for `events: "-"` */
  stdin?: NodeJS.ReadableStream;
  /** The alerts' `hostname`, as Falco prints its host's (default: this machine's). */
  hostname?: string;
  settings?: Partial<FalcoSettings>;
}

/** A Writable over a line callback (each write is whole lines). */
function lineStream(out: (line: string) => void): Writable {
  return new Writable({
    decodeStrings: false,
    write(chunk: string, _enc, done) {
      for (const line of chunk.split("\n")) if (line !== "") out(line);
      done();
    },
  });
}

export async function runDetect(opts: DetectOptions): Promise<number> {
  const s: FalcoSettings = { ...DEFAULT_SETTINGS, ...opts.settings };
  const writer = new LineWriter(
    opts.out ? lineStream(opts.out) : (opts.output ?? process.stdout),
    s.bufferedOutputs,
  );
  const { engine, problems } = loadFalcoRules(opts.rules, {
    hostname: opts.hostname ?? osHostname(),
    ruleMatching: s.ruleMatching,
    minPriority: s.minPriority,
    timeFormatIso8601: s.timeFormatIso8601,
    release: s.release,
  });
  if (!engine) {
    for (const p of problems) writer.line(formatProblem(p));
    await writer.end();
    return 1;
  }
  const json = { output: s.jsonIncludeOutputProperty, tags: s.jsonIncludeTagsProperty };
  const input = opts.events === "-" ? (opts.stdin ?? process.stdin) : fileChunks(opts.events);
  try {
    await readEventValues(input as AsyncIterable<Buffer | string>, {
      value(v) {
        try {
          for (const a of engine.processK8sAudit(v)) writer.line(formatAlertJson(a, json));
        } catch (e) {
          if (e instanceof FalcoInputError) writer.line(e.message);
          else throw e;
        }
      },
      problem: (text) => writer.line(text),
      batchDone: () => writer.batchEnd(),
    });
  } catch (e) {
    // the reader of our output went away (`detect … | head`): stop, as Falco would on SIGPIPE
    if (e === writer.failed) return (e as NodeJS.ErrnoException).code === "EPIPE" ? 0 : 1;
    if (!(e instanceof Error) || !("code" in e) || typeof e.code !== "string") throw e;
    writer.line(`could not read events file: ${errorText(e)}`);
    await writer.end();
    return 1;
  }
  try {
    await writer.end();
  } catch (e) {
    if (e !== writer.failed) throw e;
  }
  return writer.failed && (writer.failed as NodeJS.ErrnoException).code !== "EPIPE" ? 1 : 0;
}
