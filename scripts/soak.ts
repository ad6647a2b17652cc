/**
 * `npm run soak [events]`: the no-loss soak with 10,000 events by default (see test/support/soak.ts).
 * Exits 1 when an accepted event was never acted on.
 */
import { runSoak } from "../test/support/soak.js";

const events = Number(process.argv[2] ?? 10_000);
const r = await runSoak({ events, concurrency: 48, log: (line) => console.log(line) });
console.log(
  [
    `events:                ${r.events}`,
    `accepted (HTTP 200):   ${r.accepted}`,
    `rejected:              ${r.rejected}`,
    `acted:                 ${r.acted}`,
    `acted more than once:  ${r.actedMoreThanOnce}`,
    `rejected but acted:    ${r.rejectedButActed}`,
    `client retries:        ${r.retries}`,
    `duplicates suppressed: ${r.duplicatesSuppressed} (${r.skippedAsDone} redeliveries skipped as done)`,
    `lost:                  ${r.lost}`,
    `seconds:               ${r.seconds}`,
  ].join("\n"),
);
process.exit(r.lost === 0 ? 0 : 1);
