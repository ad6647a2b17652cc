/**
 * Exec in a pod's container over WebSocket (pods/exec), collecting stdout and stderr as raw
 * bytes (binary-safe: never decoded) and the V1Status sent on the status channel.
 */

import { PassThrough, Writable } from "node:stream";
import { stripVTControlCharacters } from "node:util";
import type { V1Pod, V1Status } from "@kubernetes/client-node";
import { errorText } from "../error-text.js";
import type { KubeClient } from "./client.js";
import { kubeLibrary } from "./library.js";

export interface ExecRequest {
  namespace: string;
  pod: string;
  container: string;
  command: string[];
  /** Bytes written to the command's stdin. */
  stdin?: Buffer;
  signal?: AbortSignal;
  /** Whole-exec bound; default 5 minutes. */
  timeoutMs?: number;
  /** Stops collecting (and fails) when stdout grows past this; default 1 GiB. */
  maxStdoutBytes?: number;
}

export interface ExecResult {
  stdout: Buffer;
  stderr: Buffer;
  /** The V1Status from the status channel (undefined if the stream closed without one). */
  status: V1Status | undefined;
  /** 0 on `Success`, the `ExitCode` cause on a non-zero exit, undefined if unknown. */
  exitCode: number | undefined;
}

class Collector extends Writable {
  readonly chunks: Buffer[] = [];
  size = 0;
  constructor(
    private readonly limit: number,
    private readonly onOverflow: () => void,
  ) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void) {
    this.size += chunk.length;
    if (this.size > this.limit) this.onOverflow();
    else this.chunks.push(Buffer.from(chunk));
    cb();
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** The exit code carried by an exec V1Status. */
export function statusExitCode(status: V1Status | undefined): number | undefined {
  if (!status) return undefined;
  if (status.status === "Success") return 0;
  const cause = status.details?.causes?.find((c) => c.reason === "ExitCode");
  const n = Number(cause?.message);
  if (cause && Number.isInteger(n)) return n;
  // Some kubelets (kwok, older CRI shims) report a non-zero exit as an internal error.
  const m = /\bexit status (\d+)\b/.exec(status.message ?? "");
  return m ? Number(m[1]) : undefined;
}

/** Runs a command; resolves when the stream closes. Never throws for a non-zero exit. */
export async function execInPod(kube: KubeClient, req: ExecRequest): Promise<ExecResult> {
  const timeoutMs = req.timeoutMs ?? 300_000;
  const limit = req.maxStdoutBytes ?? 1024 ** 3;
  let failure: Error | undefined;
  const controller = new AbortController();
  const fail = (err: Error) => {
    failure ??= err;
    controller.abort(err);
  };
  const stdout = new Collector(limit, () => fail(new Error(`the command's output exceeds ${limit} bytes`)));
  const stderr = new Collector(1024 * 1024, () => undefined);
  // A stdin stream that ends only on v5 (which can half-close); older protocols would close the
  // whole session on end, so there the command must not wait for EOF.
  const stdin = req.stdin ? new PassThrough() : null;
  if (stdin && req.stdin) stdin.write(req.stdin);
  let status: V1Status | undefined;
  const where = `${req.namespace}/${req.pod}/${req.container}`;
  // Already loaded when `kube` was built; this only fetches the class.
  const { Exec } = await kubeLibrary();
  if (req.signal?.aborted) throw new Error(`exec in ${where}: aborted`);

  // The exec client rejects with WebSocket error events or Status objects, not Errors.
  const ws = await new Exec(kube.config)
    .exec(req.namespace, req.pod, req.container, req.command, stdout, stderr, stdin, false, (s) => {
      status = s;
    })
    .catch((err: unknown) => {
      throw new Error(`exec in ${where}: ${errorText(err)}`);
    });
  if (stdin && ws.protocol === "v5.channel.k8s.io") stdin.end();

  await new Promise<void>((resolve) => {
    const timer = setTimeout(
      () => fail(new Error(`exec in ${where}: timed out after ${timeoutMs}ms`)),
      timeoutMs,
    );
    const onAbort = () => fail(new Error(`exec in ${where}: aborted`));
    req.signal?.addEventListener("abort", onAbort, { once: true });
    controller.signal.addEventListener("abort", () => ws.terminate(), { once: true });
    const done = () => {
      clearTimeout(timer);
      req.signal?.removeEventListener("abort", onAbort);
      resolve();
    };
    ws.on("close", done);
    ws.on("error", (err: unknown) => fail(new Error(`exec in ${where}: ${errorText(err)}`)));
    if (ws.readyState === ws.CLOSED) done();
  });
  stdin?.destroy();
  if (failure) throw failure;
  return { stdout: stdout.bytes(), stderr: stderr.bytes(), status, exitCode: statusExitCode(status) };
}

/** stdout as text without ANSI escapes (for action outputs). */
export function outputText(bytes: Buffer): string {
  return stripVTControlCharacters(bytes.toString("utf8"));
}

/**
 * The failure text of an exec: exit code and stderr (ANSI stripped), else the status message.
 * Undefined when the command succeeded.
 */
export function execFailure(result: ExecResult): string | undefined {
  if (result.status?.status === "Success") return undefined;
  const stderr = outputText(result.stderr).trim();
  const code = result.exitCode;
  const head =
    code !== undefined
      ? `the command exited with code ${code}`
      : `the command failed: ${result.status?.message ?? "the stream closed without a status"}`;
  return stderr !== "" ? `${head}: ${stderr}` : head;
}

/** The named container, or the pod's first one; throws a clear error for an unknown name. */
export function pickContainer(pod: V1Pod, name: string | undefined): string {
  const names = (pod.spec?.containers ?? []).map((c) => c.name);
  if (name !== undefined && name !== "") {
    if (!names.includes(name)) {
      throw new Error(
        `the container '${name}' doesn't exist in the pod '${pod.metadata?.name}' in the namespace '${pod.metadata?.namespace}' (containers: ${names.join(", ")})`,
      );
    }
    return name;
  }
  const first = names[0];
  if (first === undefined) throw new Error(`the pod '${pod.metadata?.name}' has no containers`);
  return first;
}
