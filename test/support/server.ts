/**
 * Starts the real `falco-talon server` process for end-to-end tests and reads its JSON logs.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");

export interface ServerProcess {
  url: string;
  dir: string;
  logs: Record<string, unknown>[];
  proc: ChildProcess;
  /** Resolves with the first log line matching, or rejects after the timeout. */
  waitForLog(
    pred: (l: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  post(body: string, path?: string): Promise<{ status: number; text: string }>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startServerProcess(opts: {
  config: string;
  rules: Record<string, string>;
  env?: Record<string, string>;
}): Promise<ServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), "falco-talon-e2e-"));
  for (const [name, text] of Object.entries(opts.rules)) writeFileSync(join(dir, name), text);
  const configPath = join(dir, "config.yaml");
  writeFileSync(configPath, opts.config.replaceAll("$DIR", dir));
  const proc = spawn(
    process.execPath,
    ["--import", "tsx", join(ROOT, "src/cli/main.ts"), "server", "-c", configPath],
    {
      cwd: ROOT,
      env: { ...process.env, LISTEN_PORT: "0", LOG_FORMAT: "json", ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const logs: Record<string, unknown>[] = [];
  const waiters: {
    pred: (l: Record<string, unknown>) => boolean;
    resolve: (l: Record<string, unknown>) => void;
  }[] = [];
  let stderr = "";
  let buffer = "";
  proc.stdout!.on("data", (chunk: Buffer) => {
    buffer += chunk.toString("utf8");
    let nl = buffer.indexOf("\n");
    while (nl >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      nl = buffer.indexOf("\n");
      if (!line.startsWith("{")) continue;
      const entry = JSON.parse(line) as Record<string, unknown>;
      logs.push(entry);
      for (const w of [...waiters]) {
        if (w.pred(entry)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(entry);
        }
      }
    }
  });
  proc.stderr!.on("data", (c: Buffer) => {
    stderr += c.toString("utf8");
  });
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));

  const waitForLog = (pred: (l: Record<string, unknown>) => boolean, timeoutMs = 20_000) => {
    const found = logs.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise<Record<string, unknown>>((resolveLog, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `log line not seen in ${timeoutMs}ms; stderr: ${stderr}\nlogs: ${JSON.stringify(logs)}`,
            ),
          ),
        timeoutMs,
      );
      waiters.push({
        pred,
        resolve: (l) => {
          clearTimeout(timer);
          resolveLog(l);
        },
      });
    });
  };

  const up = await Promise.race([
    waitForLog((l) => l.message === "Falco Talon is up and listening", 30_000),
    exited.then((code) => {
      throw new Error(`server exited with ${code}: ${stderr}\n${JSON.stringify(logs)}`);
    }),
  ]);
  const url = `http://127.0.0.1:${up.port}`;
  return {
    url,
    dir,
    logs,
    proc,
    waitForLog,
    post: async (body, path = "/") => {
      const res = await fetch(url + path, { method: "POST", body });
      return { status: res.status, text: await res.text() };
    },
    stop: async (signal = "SIGTERM") => {
      if (proc.exitCode === null) proc.kill(signal);
      return exited;
    },
  };
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A real HTTP receiver recording every request (for webhook-style notifiers). */
export async function startReceiver(status = 200): Promise<{
  url: string;
  requests: ReceivedRequest[];
  server: Server;
  close(): Promise<void>;
}> {
  const requests: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests.push({
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      res.writeHead(status);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, requests, server, close: () => new Promise((r) => server.close(() => r())) };
}
