/**
 * Revert of a reversible action: a first press asks to confirm (a dry run is offered too), the
 * second sends it; the answer (reverted, conflict, failure) is announced in a live region.
 */

import { useEffect, useRef, useState } from "preact/hooks";
import { type RevertAnswer, revertAction } from "../api";
import { text } from "../format";

type State =
  | { step: "idle" }
  | { step: "confirm" }
  | { step: "sending"; dryRun: boolean }
  | { step: "done"; dryRun: boolean; answer: RevertAnswer }
  | { step: "error"; message: string };

function summary(answer: RevertAnswer, dryRun: boolean): string {
  const b = answer.body;
  const word = typeof b.status === "string" ? b.status : "";
  const message = typeof b.message === "string" ? b.message : typeof b.error === "string" ? b.error : "";
  const head =
    b.already_reverted === true
      ? "Already reverted"
      : answer.status === 200
        ? dryRun
          ? "Dry run: the revert would apply"
          : "Reverted"
        : answer.status === 409
          ? "Not reverted: conflict"
          : answer.status === 404
            ? "Not reverted: no such reversible action"
            : `Revert failed (${answer.status})`;
  return [head, word && word !== head ? word : "", message].filter(Boolean).join(": ");
}

export function RevertButton({ actionId, onDone }: { actionId: string; onDone?: () => void }) {
  const [state, setState] = useState<State>({ step: "idle" });
  const cancel = useRef<HTMLButtonElement>(null);
  const open = useRef<HTMLButtonElement>(null);
  const wasAsking = useRef(false);
  // keyboard focus follows the control that replaced the one pressed: Cancel (the harmless
  // choice) when asked to confirm, the Revert button again once answered or cancelled
  useEffect(() => {
    if (state.step === "confirm") {
      wasAsking.current = true;
      cancel.current?.focus();
    } else if (state.step !== "sending" && wasAsking.current) {
      wasAsking.current = false;
      open.current?.focus();
    }
  }, [state.step]);
  const send = async (dryRun: boolean) => {
    setState({ step: "sending", dryRun });
    try {
      const answer = await revertAction(actionId, dryRun);
      setState({ step: "done", dryRun, answer });
      if (!dryRun) onDone?.();
    } catch (err) {
      setState({ step: "error", message: err instanceof Error ? err.message : String(err) });
    }
  };
  const body = state.step === "done" ? state.answer.body : {};
  const lists: [string, unknown[]][] = [];
  for (const k of ["reverted", "unchanged", "conflicts"]) {
    const v = body[k];
    if (Array.isArray(v) && v.length > 0) lists.push([k, v]);
  }
  return (
    <div class="revert">
      {state.step === "confirm" ? (
        <fieldset class="confirm">
          <legend>Undo this change on the cluster?</legend>
          <button type="button" class="danger" onClick={() => send(false)}>
            Confirm revert
          </button>
          <button type="button" onClick={() => send(true)}>
            Dry run
          </button>
          <button type="button" ref={cancel} onClick={() => setState({ step: "idle" })}>
            Cancel
          </button>
        </fieldset>
      ) : (
        <button
          type="button"
          ref={open}
          disabled={state.step === "sending"}
          onClick={() => setState({ step: "confirm" })}
        >
          Revert…
        </button>
      )}
      <p class="revert-result" role="status" aria-live="polite">
        {state.step === "sending" ? (state.dryRun ? "Dry run…" : "Reverting…") : ""}
        {state.step === "done" ? summary(state.answer, state.dryRun) : ""}
        {state.step === "error" ? `Revert failed: ${state.message}` : ""}
      </p>
      {lists.map(([name, items]) => (
        <div key={name} class={`revert-${name}`}>
          <h5>{name}</h5>
          <ul>
            {items.map((c, i) => (
              <li key={i}>{text(c)}</li>
            ))}
          </ul>
        </div>
      ))}
    </div>
  );
}
