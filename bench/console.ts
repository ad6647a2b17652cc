/**
 * The intake at saturation while the operator console streams: one browser-like client reads
 * every message of /ui/api/stream (server-sent events) during the saturation run. The console
 * must not slow the intake: this figure is compared with the plain intake figure.
 *
 *   npx tsx bench/console.ts [--seconds N]   this phase alone against our server (through tsx):
 *                                            the intake without, then with, a streaming client
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { type IntakeResult, saturate } from "./load.js";
import { benchConfig, freePort, offlineKubeconfig, startServer } from "./servers.js";

export interface ConsoleStream {
  /** Server-sent messages (events and updates) read so far. */
  readonly messages: number;
  readonly bytes: number;
  close(): void;
}

/** Connects to the console's stream and reads everything it sends (the console has no token here). */
export function streamConsole(url: string): Promise<ConsoleStream> {
  return new Promise((resolvePromise, reject) => {
    const state = { messages: 0, bytes: 0 };
    let tail = "";
    const req = request(`${url}/ui/api/stream`, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`/ui/api/stream answered ${res.statusCode}`));
        return;
      }
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        state.bytes += chunk.length;
        const text = tail + chunk;
        let from = 0;
        for (let i = text.indexOf("\ndata: ", from); i >= 0; i = text.indexOf("\ndata: ", from)) {
          state.messages++;
          from = i + 7;
        }
        tail = text.slice(Math.max(from, text.length - 6));
      });
      resolvePromise({
        get messages() {
          return state.messages;
        },
        get bytes() {
          return state.bytes;
        },
        close: () => req.destroy(),
      });
    });
    req.on("error", (err) => reject(err));
    req.end();
  });
}

export type StreamingIntake = IntakeResult & { streamedMessages: number; streamedMiB: number };

/** `saturate` with one console stream open and read throughout. */
export async function intakeWhileStreaming(
  url: string,
  rule: string,
  seconds: number,
): Promise<StreamingIntake> {
  const stream = await streamConsole(url);
  try {
    const intake = await saturate(url, rule, seconds);
    return { ...intake, streamedMessages: stream.messages, streamedMiB: stream.bytes / (1 << 20) };
  } finally {
    stream.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seconds: { type: "string", default: "5" } } });
  const seconds = Number(values.seconds);
  const rule = "Bench intake";
  const dir = mkdtempSync(join(tmpdir(), "bench-console-"));
  const rulesFile = join(dir, "rules.yaml");
  writeFileSync(
    rulesFile,
    `- rule: Intake (dry run)
  match:
    rules: [${rule}]
  dry_run: true
  actions:
    - action: Terminate (dry run)
      actionner: kubernetes:terminate
`,
  );
  const port = await freePort();
  writeFileSync(
    join(dir, "config.yaml"),
    benchConfig({ port, rulesFile, kubeconfig: offlineKubeconfig(dir) }),
  );
  const server = await startServer({
    name: "ours",
    oursEntry: resolve(import.meta.dirname, "../src/cli/main.ts"),
    configFile: join(dir, "config.yaml"),
    port,
    logFile: join(dir, "server.log"),
  });
  try {
    const plain = await saturate(server.url, rule, seconds);
    console.log(
      `intake: ${Math.round(plain.eventsPerSec)} events/s, p99 ${plain.p99Ms} ms, failed ${plain.failed}`,
    );
    const streaming = await intakeWhileStreaming(server.url, rule, seconds);
    console.log(
      `intake, console streaming: ${Math.round(streaming.eventsPerSec)} events/s, p99 ${streaming.p99Ms} ms, ` +
        `failed ${streaming.failed}; the stream read ${streaming.streamedMessages} messages (${streaming.streamedMiB.toFixed(1)} MiB)`,
    );
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
