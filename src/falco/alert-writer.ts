// Where `detect` writes its lines: unbuffered (Falco's default, `buffered_outputs: false`), the
// lines found in one batch of input are written together when the batch ends, so no line waits for
// more input (a live pipe's line is out as soon as its batch is read); buffered
// (`buffered_outputs: true`), lines are gathered across batches into large writes.
import { once } from "node:events";
import type { Writable } from "node:stream";

/** Gathered lines are written once they reach this size (and at the end). */
const CHUNK = 64 * 1024;

export class LineWriter {
  private pending = "";
  private blocked = false;
  /** the stream's error (EPIPE: the reader went away); nothing more is written */
  failed?: Error;

  constructor(
    private readonly stream: Writable,
    private readonly buffered: boolean,
  ) {
    stream.on("error", (e: Error) => {
      this.failed ??= e;
    });
  }

  line(text: string): void {
    if (this.failed) return;
    this.pending += text + "\n";
    if (this.pending.length >= CHUNK) this.flush();
  }

  /** The end of a batch of input: unbuffered, its lines are written now; then waits as `drained`. */
  async batchEnd(): Promise<void> {
    if (!this.buffered) this.flush();
    await this.drained();
  }

  flush(): void {
    if (this.pending === "") return;
    const chunk = this.pending;
    this.pending = "";
    this.send(chunk);
  }

  /** Resolves once the stream takes more (its buffer below the high-water mark): reading waits for writing. */
  async drained(): Promise<void> {
    if (this.failed) throw this.failed;
    if (!this.blocked) return;
    if (this.stream.writableNeedDrain)
      await Promise.race([once(this.stream, "drain"), once(this.stream, "error")]);
    this.blocked = false;
    if (this.failed) throw this.failed;
  }

  /** Writes what is gathered and waits until the stream took it. */
  async end(): Promise<void> {
    this.flush();
    await this.drained();
  }

  private send(chunk: string): void {
    if (this.failed) return;
    if (!this.stream.write(chunk)) this.blocked = true;
  }
}
