/** Bounding a plug-in call by the action timeout and shutdown. */
import { type Deadline, deadline } from "../abortable.js";

export type ActionDeadline = Deadline;

/** An abort signal for one action: fires after `ms` or when `shutdown` aborts. */
export function actionDeadline(ms: number, shutdown: AbortSignal): ActionDeadline {
  return deadline(ms, shutdown, "action");
}
