/**
 * Logs as Talon writes them: `color`, `text` or `json` (one object per
 * line with `level`, `time`, `message` and the fields).
 */
import { createRequire } from "node:module";
import { type DestinationStream, type Logger, pino } from "pino";
import type PinoPretty from "pino-pretty";

/**
 * pino-pretty (and its dependencies) only for the text formats: JSON logging never loads it.
 * A synchronous require keeps createLogger synchronous; the package is CommonJS, so this is the
 * same module instance an import would give.
 */
function loadPretty(): typeof PinoPretty {
  return createRequire(import.meta.url)("pino-pretty");
}

/**
 * Log lines to a file descriptor through sonic-boom (asynchronous writes, flushed at exit), in
 * its buffer mode with each line encoded once as it is logged.
 * - Writes of up to 64 KiB: with sonic-boom's default 16 KiB a write, the intake at saturation
 *   (~7 MB/s of log lines) logged faster than 16 KiB writes drain, and the lines queued in memory
 *   without bound (peak RSS 240-340 MiB in 8 s, the writes finishing after the load).
 * - Buffer mode: in its string mode sonic-boom measures the byte length of the whole pending
 *   chunk (up to the 64 KiB) each time it appends a line, a tenth of the intake's CPU; buffer
 *   mode keeps each chunk's length as it goes.
 */
export function lineDestination(fd: number): ReturnType<typeof pino.destination> {
  const stream = pino.destination({ dest: fd, sync: false, maxWrite: 1 << 16, contentMode: "buffer" });
  const writeBytes: (data: Buffer) => boolean = stream.write.bind(stream) as never;
  // pino hands over strings; the buffer-mode write takes bytes. (pino itself replaces this
  // method with a no-op when the reader of the descriptor is gone.)
  stream.write = (line: string) => writeBytes(Buffer.from(line, "utf8"));
  return stream;
}

export type LogFormat = "color" | "text" | "json";

/**
 * pino's `isoTime` (`,"time":"<ISO 8601>"`), formatted once per millisecond: at the intake's rate
 * the lines of one event, and of its neighbours, share their millisecond.
 */
export function isoTimeOncePerMs(now: () => number = Date.now): () => string {
  let last = Number.NaN;
  let text = "";
  return () => {
    const t = now();
    if (t !== last) {
      last = t;
      text = `,"time":"${new Date(t).toISOString()}"`;
    }
    return text;
  };
}

export function createLogger(
  format: LogFormat,
  level = "info",
  destination: DestinationStream = lineDestination(1),
): Logger {
  const options = {
    level,
    messageKey: "message",
    base: undefined,
    timestamp: isoTimeOncePerMs(),
    formatters: { level: (label: string) => ({ level: label }) },
  };
  if (format === "json") return pino(options, destination);
  const stream = loadPretty()({
    colorize: format === "color",
    messageKey: "message",
    translateTime: "SYS:yyyy-mm-dd'T'HH:MM:ssp",
    ignore: "pid,hostname",
    hideObject: true,
    // zerolog console style: `message key=value key=value`.
    messageFormat: (log: Record<string, unknown>, messageKey: string) => {
      const parts = [String(log[messageKey] ?? "")];
      for (const [k, v] of Object.entries(log)) {
        if (k === messageKey || k === "level" || k === "time") continue;
        const text = typeof v === "string" ? v : JSON.stringify(v);
        parts.push(`${k}=${/[\s"]/.test(text) ? JSON.stringify(text) : text}`);
      }
      return parts.join(" ");
    },
    destination,
    sync: true,
  });
  return pino(options, stream);
}
