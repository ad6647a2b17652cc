/**
 * Certificate rotation without a restart: cert-manager and Secret updates replace the TLS
 * files in place (or swap a ConfigMap/Secret `..data` link). The files are polled; when any
 * changed, the new set is validated as a whole (key matches certificate, PEM parses) and
 * installed with setSecureContext, so new connections get it and open ones keep theirs. A
 * broken or half-written set is logged and the previous certificates stay in force.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Server as HttpsServer } from "node:https";
import { createSecureContext } from "node:tls";
import type { Logger } from "pino";
import { errorText } from "../error-text.js";

export interface TlsPaths {
  cert: string;
  key: string;
  ca?: string;
}

function readAll(paths: TlsPaths): { cert: Buffer; key: Buffer; ca?: Buffer } {
  return {
    cert: readFileSync(paths.cert),
    key: readFileSync(paths.key),
    ...(paths.ca ? { ca: readFileSync(paths.ca) } : {}),
  };
}

function fingerprint(files: { cert: Buffer; key: Buffer; ca?: Buffer }): string {
  const h = createHash("sha256");
  for (const b of [files.cert, files.key, files.ca ?? Buffer.alloc(0)]) h.update(b).update("\0");
  return h.digest("hex");
}

/** Polls the files every `pollMs`; returns a function that stops. */
export function reloadTlsOnChange(
  server: HttpsServer,
  paths: TlsPaths,
  opts: { logger: Logger; pollMs?: number; initial: { cert: Buffer; key: Buffer; ca?: Buffer } },
): () => void {
  let current = fingerprint(opts.initial);
  let failedOn = "";
  const check = () => {
    let files: { cert: Buffer; key: Buffer; ca?: Buffer };
    try {
      files = readAll(paths);
    } catch (err) {
      // Mid-rotation (a file briefly missing): try again at the next poll.
      opts.logger.debug({ error: errorText(err) }, "tls files not readable yet");
      return;
    }
    const next = fingerprint(files);
    if (next === current || next === failedOn) return;
    try {
      createSecureContext(files); // throws on a key that does not match, or bad PEM
      server.setSecureContext(files);
      current = next;
      failedOn = "";
      opts.logger.info({ cert_file: paths.cert }, "tls certificates reloaded");
    } catch (err) {
      failedOn = next; // log a broken set once, not at every poll
      opts.logger.error(
        { error: errorText(err), cert_file: paths.cert },
        "tls reload failed, the previous certificates stay in force",
      );
    }
  };
  const timer = setInterval(check, opts.pollMs ?? 5000);
  timer.unref();
  return () => clearInterval(timer);
}
