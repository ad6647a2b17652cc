import type { Pos } from "./ast.js";

/** A condition or output that does not compile against its source's fields (Falco's message in `message`). */
export class FalcoCompileError extends Error {
  constructor(
    message: string,
    readonly pos?: Pos,
  ) {
    super(message);
    this.name = "FalcoCompileError";
  }
}
