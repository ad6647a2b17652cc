/**
 * Console sign-in sessions: an opaque random id (the cookie) → its expiry and the token it was
 * opened with (a digest). In memory, bounded: past `max` sessions the oldest is closed. A
 * session ends when it expires, on sign-out, or when the token changes (a rotated
 * auth.token_file signs everyone out).
 */
import { createHash, randomBytes } from "node:crypto";

export interface SessionStoreOptions {
  ttlMs?: number;
  max?: number;
  now?: () => number;
}

const digest = (token: string) => createHash("sha256").update(token, "utf8").digest("hex");

export class SessionStore {
  private readonly sessions = new Map<string, { expires: number; token: string }>();
  private readonly ttlMs: number;
  private readonly max: number;
  private readonly now: () => number;

  constructor(opts: SessionStoreOptions = {}) {
    this.ttlMs = opts.ttlMs ?? 12 * 3_600_000;
    this.max = opts.max ?? 1000;
    this.now = opts.now ?? Date.now;
  }

  /** Opens a session for `token`; returns its id (256 random bits, URL-safe). */
  open(token: string): string {
    const id = randomBytes(32).toString("base64url");
    this.sweep();
    while (this.sessions.size >= this.max) {
      const oldest = this.sessions.keys().next().value as string;
      this.sessions.delete(oldest);
    }
    this.sessions.set(id, { expires: this.now() + this.ttlMs, token: digest(token) });
    return id;
  }

  /** Whether `id` is an open session opened with `token` (the current one). */
  valid(id: string | undefined, token: string | undefined): boolean {
    if (!id || token === undefined) return false;
    const s = this.sessions.get(id);
    if (!s) return false;
    if (s.expires <= this.now() || s.token !== digest(token)) {
      this.sessions.delete(id);
      return false;
    }
    return true;
  }

  close(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }

  get maxAgeSeconds(): number {
    return Math.floor(this.ttlMs / 1000);
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, s] of this.sessions) if (s.expires <= now) this.sessions.delete(id);
  }
}
