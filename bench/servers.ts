/**
 * The two servers under test, started the same way: one config file, one rules file, stdout and
 * stderr to a log file, ready when /healthz answers. Also their memory (VmRSS of the process).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { errorText } from "../src/error-text.js";
import { isolatedCommand, okOverSocket } from "./netns.js";

const ROOT = resolve(import.meta.dirname, "..");

export type ServerName = "ours" | "talon";

export interface BenchServer {
  name: ServerName;
  url: string;
  /** Set when the server runs in a network namespace of its own: `url` is reached through it. */
  socketPath?: string;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}

export type TalonBinary = { available: true; binary: string } | { available: false; reason: string };

/**
 * The Falco Talon binary named by TALON_BIN, built by hand outside the project (the project
 * never builds Talon itself); never throws, the reason it is missing is reported instead.
 */
export function talonBinary(env: NodeJS.ProcessEnv = process.env): TalonBinary {
  const given = env.TALON_BIN ?? "";
  if (given === "") return { available: false, reason: "set TALON_BIN to a Falco Talon binary" };
  try {
    accessSync(given, constants.X_OK);
    return { available: true, binary: given };
  } catch (err) {
    return { available: false, reason: `TALON_BIN '${given}' is not an executable file: ${errorText(err)}` };
  }
}

/**
 * Compiles src/ with tsc into .tmp/bench-dist (inside the repo, so node_modules resolves) and
 * returns the CLI entry point: the server runs as deployed (`node dist/src/cli/main.js`), without
 * tsx's on-the-fly compilation in its memory and start-up.
 */
export function compileOurs(): string {
  const out = join(ROOT, ".tmp/bench-dist");
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const project = join(out, "tsconfig.json");
  writeFileSync(
    project,
    JSON.stringify({
      extends: "../../tsconfig.json",
      compilerOptions: { outDir: ".", rootDir: "../..", sourceMap: false },
      include: ["../../src/**/*.ts"],
      exclude: ["../../src/**/*.test.ts"],
    }),
  );
  const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
  const r = spawnSync(process.execPath, [tsc, "-p", project], { encoding: "utf8" });
  const main = join(out, "src/cli/main.js");
  if (!existsSync(main)) throw new Error(`tsc produced no ${main}:\n${r.stdout}${r.stderr}`);
  if (r.status !== 0) console.log(`tsc reported errors (the emitted JavaScript is used):\n${r.stdout}`);
  return main;
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolvePort(port));
    });
  });
}

/** benchConfig's deduplication window: each server drops a repeated event seen within it. */
export const DEDUP_WINDOW_SECONDS = 5;

/** The config both servers read: Talon's keys, leader election off; `queue` is ours alone. */
export function benchConfig(opts: { port: number; rulesFile: string; kubeconfig: string }): string {
  return `listen_address: 127.0.0.1
listen_port: ${opts.port}
rules_files: [${opts.rulesFile}]
watch_rules: false
${opts.kubeconfig ? `kubeconfig: ${opts.kubeconfig}\n` : ""}log_format: json
print_all_events: false
deduplication:
  leader_election: false
  time_window_seconds: ${DEDUP_WINDOW_SECONDS}
queue:
  capacity: 1000000
`;
}

/**
 * A kubeconfig naming an address where nothing listens, for phases that make no API call (dry-run
 * rules, events matching no rule): Talon exits at start without a kubeconfig, and neither server
 * connects before an action needs the API. Written into `dir`; returns its path.
 */
export function offlineKubeconfig(dir: string): string {
  const file = join(dir, "offline-kubeconfig.yaml");
  writeFileSync(
    file,
    `apiVersion: v1
kind: Config
clusters:
  - name: offline
    cluster:
      server: https://127.0.0.1:1
      insecure-skip-tls-verify: true
users:
  - name: offline
    user:
      token: offline
contexts:
  - name: offline
    context:
      cluster: offline
      user: offline
current-context: offline
`,
  );
  return file;
}

export async function startServer(opts: {
  name: ServerName;
  talonBinary?: string;
  /** Our CLI: compiled JavaScript (compileOurs), or the TypeScript entry point run through tsx. */
  oursEntry: string;
  configFile: string;
  port: number;
  logFile: string;
  /**
   * Run in a network namespace of its own (netns.ts), served on this Unix socket, with TMPDIR
   * (where Talon's NATS server keeps its JetStream files) set to the socket's directory.
   */
  isolated?: { socketPath: string };
}): Promise<BenchServer> {
  const out = openSync(opts.logFile, "a");
  let command: string[];
  if (opts.name === "ours") {
    const loader = opts.oursEntry.endsWith(".ts") ? ["--import", "tsx"] : [];
    command = [process.execPath, ...loader, opts.oursEntry, "server", "-c", opts.configFile];
  } else {
    if (!opts.talonBinary) throw new Error("no Talon binary");
    command = [opts.talonBinary, "server", "-c", opts.configFile];
  }
  const socketPath = opts.isolated?.socketPath;
  if (socketPath) command = isolatedCommand(command, socketPath, opts.port);
  const proc: ChildProcess = spawn(command[0]!, command.slice(1), {
    ...(opts.name === "ours" ? { cwd: ROOT } : {}),
    stdio: ["ignore", out, out],
    ...(socketPath ? { env: { ...process.env, TMPDIR: dirname(socketPath) } } : {}),
  });
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  const url = socketPath ? "http://localhost" : `http://127.0.0.1:${opts.port}`;
  await waitReady(
    proc,
    opts.name,
    () => (socketPath ? okOverSocket(socketPath, "/healthz") : answersOk(`${url}/healthz`)),
    60,
    () => `:\n${tail(opts.logFile)}`,
  );
  return {
    name: opts.name,
    url,
    ...(socketPath ? { socketPath } : {}),
    pid: proc.pid!,
    logFile: opts.logFile,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Whether a GET of `url` answers 2xx (false when nothing answers). */
export function answersOk(url: string): Promise<boolean> {
  return fetch(url).then(
    (r) => r.ok,
    () => false,
  );
}

/**
 * Polls `ready` until it holds. Throws when the process exits first, or kills it and throws after
 * `seconds`; `detail` is added to the error (e.g. the tail of its log).
 */
export async function waitReady(
  proc: ChildProcess,
  name: string,
  ready: () => Promise<boolean>,
  seconds: number,
  detail: () => string = () => "",
): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`${name} exited with ${proc.exitCode}${detail()}`);
    if (await ready()) return;
    if (Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`${name} not ready after ${seconds} s${detail()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

function tail(file: string): string {
  return readFileSync(file, "utf8").split("\n").slice(-20).join("\n");
}

/** VmRSS of a process in MiB. */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]) / 1024;
}

/** Samples VmRSS every 100 ms; `stop` returns the peak. */
export function sampleRss(pid: number): { stop(): number } {
  let peak = rssMiB(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssMiB(pid));
    } catch {
      // The process ended; the peak so far stands.
    }
  }, 100);
  return {
    stop: () => {
      clearInterval(timer);
      return peak;
    },
  };
}

const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time (user + system) a process has used, in seconds, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** Waits until the process has used no CPU for a full half second (its queued work is done). */
export async function waitCpuIdle(pid: number, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = cpuSeconds(pid);
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const now = cpuSeconds(pid);
    if (now - last <= 0.01) return;
    if (Date.now() > deadline) throw new Error(`process ${pid} still busy after ${timeoutMs} ms`);
    last = now;
  }
}
