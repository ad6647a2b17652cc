/**
 * The operator console in headless Chromium against the real `falco-talon server` and the real
 * API server: sign-in, the live timeline (an event shows within a second, filters narrow it),
 * an event's plans and results, rehearsal of an edited event, a revert that changes the pod back,
 * and an axe-core accessibility check of every page. Screenshots: test/support/browser.ts.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { ConsoleEvent, EventsPage } from "../../src/console/types.js";
import {
  assertAccessible,
  focused,
  launchChromium,
  screenshot,
  tabTo,
  waitForFocus,
  withAxe,
} from "../support/browser.js";
import { createNamespace, createPod, getTestCluster, type TestCluster, waitFor } from "../support/k8s.js";
import { type ServerProcess, startServerProcess } from "../support/server.js";

const TOKEN = "console-token-0123456789";
const AUTH = { Authorization: `Bearer ${TOKEN}` };

describe("operator console (Chromium)", () => {
  let cluster: TestCluster;
  let ns: string;
  let server: ServerProcess;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let n = 0;
  /** Script errors and content-security-policy refusals seen in the page: none is expected. */
  const pageErrors: string[] = [];

  /** Posts one event as Falco does; resolves when the intake has accepted it. */
  const post = async (rule: string, priority: string, pod: string) => {
    n++;
    const res = await fetch(server.url, {
      method: "POST",
      headers: AUTH,
      body: JSON.stringify({
        rule,
        priority,
        source: "syscall",
        hostname: "node-1",
        time: new Date().toISOString(),
        output: `${rule} #${n} (pod=${pod} ns=${ns})`,
        output_fields: { "k8s.pod.name": pod, "k8s.ns.name": ns, "proc.name": "bash" },
        tags: ["console-test"],
      }),
    });
    assert.equal(res.status, 200, await res.text());
  };

  /** The console's own API, through the signed-in browser's cookie. */
  const api = async <T>(path: string): Promise<T> => {
    const res = await page.request.get(`${server.url}/ui/api${path}`);
    assert.equal(res.status(), 200, `${path}: ${await res.text()}`);
    return (await res.json()) as T;
  };

  const labels = async (pod: string) =>
    (await cluster.kube.core.readNamespacedPod({ name: pod, namespace: ns })).metadata?.labels ?? {};

  before(async () => {
    cluster = await getTestCluster();
    ns = await createNamespace(cluster.kube, "console");
    await createPod(cluster.kube, ns, "web");
    await createPod(cluster.kube, ns, "db");
    server = await startServerProcess({
      config: `
rules_files: [$DIR/rules.yaml]
kubeconfig: ${cluster.kubeconfigPath}
audit:
  file: $DIR/audit.jsonl
`,
      rules: {
        "rules.yaml": `
- rule: Mark shells
  description: label the pod a shell ran in
  match:
    rules: [Terminal shell in container]
    output_fields: [k8s.ns.name=${ns}]
  actions:
    - action: mark
      actionner: kubernetes:label
      parameters:
        labels: {suspicious: "true"}
- rule: Check with the API server
  description: the API server's own dry run, nothing applied
  dry_run: server
  match:
    rules: [Read sensitive file untrusted]
  actions:
    - action: check the label
      actionner: kubernetes:label
      parameters:
        labels: {checked: "true"}
- rule: Plan a termination
  description: dry run only
  dry_run: true
  match:
    rules: [Write below etc]
    priority: ">=Error"
  actions:
    - action: stop it
      actionner: kubernetes:terminate
`,
      },
      env: { AUTH_TOKEN: TOKEN },
    });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on("pageerror", (err) => pageErrors.push(`uncaught: ${err.message}`));
    page.on("console", (msg) => {
      if (msg.type() === "error" && /Content Security Policy/i.test(msg.text())) pageErrors.push(msg.text());
    });
    await withAxe(page);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("sends a browser without a session to sign-in, and signs in with the token", async () => {
    await page.goto(`${server.url}/ui/`);
    await page.waitForURL(/\/ui\/signin/);
    await assertAccessible(page, "sign-in");
    await screenshot(page, "signin");
    await page.getByLabel(/token/i).fill("not-the-token");
    await page.getByRole("button", { name: /sign in/i }).click();
    await page.waitForURL(/\/ui\/signin/);
    assert.equal(
      (await page.request.get(`${server.url}/ui/api/rules`)).status(),
      401,
      "a wrong token opens nothing",
    );
    await page.getByLabel(/token/i).fill(TOKEN);
    await page.getByRole("button", { name: /sign in/i }).click();
    await page.waitForURL((url) => url.pathname === "/ui" || url.pathname === "/ui/");
    await page.getByRole("heading", { level: 1, name: "Timeline" }).waitFor();
  });

  it("shows a posted event on the timeline within a second, live", async () => {
    await page.getByText("Live: new events appear as they arrive.").waitFor();
    const started = Date.now();
    await post("Terminal shell in container", "Warning", "web");
    const row = page.locator("#events-table tbody tr", { hasText: "Terminal shell in container" });
    await row.first().waitFor({ timeout: 1000 });
    const elapsed = Date.now() - started;
    assert.ok(elapsed <= 1000, `shown after ${elapsed} ms`);
    // the action's result follows by an update of the same row
    await row
      .first()
      .getByText(/kubernetes:label: success/)
      .waitFor({ timeout: 10_000 });
    assert.equal(await row.count(), 1);
  });

  it("narrows the timeline with the filters", async () => {
    await post("Write below etc", "Critical", "db");
    const rows = page.locator("#events-table tbody tr");
    await page.locator("#events-table tbody tr", { hasText: "Write below etc" }).waitFor({ timeout: 1000 });
    assert.equal(await rows.count(), 2);

    await page.getByLabel("Priority", { exact: true }).selectOption("Critical");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.waitForURL(/priority=Critical/);
    await waitFor("one row", async () => (await rows.count()) === 1);
    assert.match((await rows.first().textContent()) ?? "", /Write below etc/);

    await page.getByRole("button", { name: "Reset" }).click();
    await waitFor("both rows", async () => (await rows.count()) === 2);
    await page.getByLabel("Search", { exact: true }).fill("#1 ");
    await page.getByLabel("Pod", { exact: true }).fill("web");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await waitFor("the web row", async () => (await rows.count()) === 1);
    assert.match((await rows.first().textContent()) ?? "", /Terminal shell in container/);

    // a live event that does not match the filters stays out
    await post("Write below etc", "Critical", "db");
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await rows.count(), 1);

    // the time range: nothing before 2000, everything in the last hour
    await page.getByRole("button", { name: "Reset" }).click();
    await waitFor("all rows", async () => (await rows.count()) === 3);
    await page.getByLabel("Until", { exact: true }).fill("2000-01-01T00:00:00Z");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.getByText("No events match these filters.").waitFor();
    assert.equal(await rows.count(), 0);
    await page.getByLabel("Until", { exact: true }).fill("");
    await page.getByLabel("Since", { exact: true }).fill("1h");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await waitFor("the last hour's rows", async () => (await rows.count()) === 3);

    await page.getByRole("button", { name: "Reset" }).click();
    await waitFor("all rows", async () => (await rows.count()) === 3);
    // the charts count what was posted: 3 events by priority, the label action's success
    const byPriority = page.getByRole("figure", { name: "Events by priority" });
    await byPriority.getByRole("rowheader", { name: "Critical" }).waitFor({ timeout: 10_000 });
    const byStatus = page.getByRole("figure", { name: "Actions by status" });
    await byStatus.getByRole("rowheader", { name: "success" }).waitFor({ timeout: 10_000 });
    await assertAccessible(page, "timeline");
    await screenshot(page, "timeline");
  });

  it("shows an event's match reasons, plan and result", async () => {
    await page
      .locator("#events-table tbody tr", { hasText: "Terminal shell in container" })
      .getByRole("link")
      .click();
    await page.waitForURL(/\/ui\/events\//);
    await page.getByRole("heading", { level: 1, name: /Terminal shell in container/ }).waitFor();
    const action = page.getByRole("article", { name: /Mark shells → mark/ });
    await action.getByText("result: success").waitFor();
    assert.match((await action.textContent()) ?? "", new RegExp(`target.*${ns}/web`));
    const matches = page.getByRole("article", { name: "Rule Mark shells" });
    assert.match((await matches.textContent()) ?? "", /Terminal shell in container/);
    await assertAccessible(page, "event detail");
    await screenshot(page, "event");

    // the dry-run rule's event: a plan and no change
    const { events } = await api<EventsPage>("/events?falco_rule=Write%20below%20etc&limit=1");
    await page.goto(`${server.url}/ui/events/${encodeURIComponent(events[0]!.id)}`);
    const planned = page.getByRole("article", { name: /Plan a termination → stop it/ });
    await planned.getByRole("heading", { name: "Plan", exact: true }).waitFor();
    assert.match((await planned.locator("pre.plan").textContent()) ?? "", /db/);
  });

  it("rehearses an edited event and shows the plan without running it", async () => {
    await page.getByRole("link", { name: "Rehearse", exact: true }).click();
    await page.waitForURL(/\/ui\/rehearse/);
    await page.getByRole("heading", { level: 1, name: "Rehearse" }).waitFor();
    const picker = page.getByLabel("Start from a recent event");
    const option = picker.locator("option", { hasText: "Terminal shell in container" }).first();
    await picker.selectOption(await option.getAttribute("value"));
    const textarea = page.getByLabel(/Event \(JSON/);
    const edited = JSON.parse(await textarea.inputValue()) as { output_fields: Record<string, string> };
    assert.equal(edited.output_fields["k8s.pod.name"], "web");
    edited.output_fields["k8s.pod.name"] = "rehearsed-pod";
    await textarea.fill(JSON.stringify(edited, null, 2));
    await page.getByRole("button", { name: "Rehearse", exact: true }).click();
    const plan = page.getByRole("article", { name: /Mark shells → mark/ });
    await plan.waitFor();
    assert.match((await plan.textContent()) ?? "", /rehearsed-pod/);
    await page.getByRole("heading", { name: /Rules that did not match \(2\)/ }).waitFor();

    // a `dry_run: server` rule: the API server's own verdict on the edited event, nothing applied
    edited.output_fields["k8s.pod.name"] = "db";
    await textarea.fill(JSON.stringify({ ...edited, rule: "Read sensitive file untrusted" }, null, 2));
    await page.getByRole("button", { name: "Rehearse", exact: true }).click();
    const checked = page.getByRole("article", { name: /Check with the API server → check the label/ });
    await checked.getByText("API server dry run: success").waitFor();
    assert.equal((await labels("db")).checked, undefined, "the server dry run changed nothing");
    await assertAccessible(page, "rehearse");
    await screenshot(page, "rehearse");
    assert.equal((await labels("web")).suspicious, "true", "unchanged by the rehearsal");
  });

  it("lists the rules in force with their origin and the last reload (reached by keyboard)", async () => {
    await page.goto(`${server.url}/ui/rehearse`);
    await page.getByRole("heading", { level: 1, name: "Rehearse" }).waitFor();
    await page.keyboard.press("Tab");
    assert.deepEqual(await focused(page), { tag: "A", text: "Skip to content" });
    await tabTo(page, "Rules");
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/ui\/rules$/);
    // the new page's heading takes focus
    await waitFor("focus on the h1", async () => (await focused(page)).tag === "H1");
    assert.equal((await focused(page)).text, "Rules");
    await page.getByRole("heading", { level: 2, name: /Rules in force \(3\)/ }).waitFor();
    assert.match(
      (await page.getByRole("article", { name: /Mark shells/ }).textContent()) ?? "",
      /rules\.yaml:\d+/,
    );
    await page.getByText(/took effect/).waitFor();
    await assertAccessible(page, "rules");
    await screenshot(page, "rules");

    // a broken edit: the reload fails, the page lists its problem, the previous rules stay
    const file = join(server.dir, "rules.yaml");
    const good = readFileSync(file, "utf8");
    writeFileSync(file, good.replace("  description: dry run only", "  descripton: dry run only"));
    try {
      await waitFor("the failed reload on the page", async () => {
        await page.reload();
        return (await page.getByText(/failed: the previous rules stay in force/).count()) > 0;
      });
      const problems = page.locator("ul.problems li");
      assert.match((await problems.first().textContent()) ?? "", /rules\.yaml:\d+:\d+.*descripton/);
      await page.getByRole("heading", { level: 2, name: /Rules in force \(3\)/ }).waitFor();
      await assertAccessible(page, "rules after a failed reload");
    } finally {
      writeFileSync(file, good);
    }
    await waitFor("the good rules reloaded", async () => {
      await page.reload();
      return (await page.getByText(/took effect/).count()) > 0;
    });
  });

  it("reverts a label action from the event page: the pod's labels change back", async () => {
    assert.equal((await labels("web")).suspicious, "true");
    const { events } = await api<EventsPage>("/events?falco_rule=Terminal%20shell%20in%20container&limit=1");
    const ev: ConsoleEvent = events[0]!;
    assert.equal(ev.actions[0]?.reversible, true);
    await page.goto(`${server.url}/ui/events/${encodeURIComponent(ev.id)}`);
    const action = page.getByRole("article", { name: /Mark shells → mark/ });
    // by keyboard: Revert… asks to confirm with focus on Cancel; the answer returns focus to Revert…
    await action.getByRole("button", { name: "Revert…" }).focus();
    await page.keyboard.press("Enter");
    await waitForFocus(page, "Cancel");
    await page.keyboard.press("Shift+Tab");
    await waitForFocus(page, "Dry run");
    await page.keyboard.press("Enter");
    await action.getByText(/Dry run: the revert would apply/).waitFor();
    assert.equal((await labels("web")).suspicious, "true", "a dry run changes nothing");
    await waitForFocus(page, "Revert…");
    await page.keyboard.press("Enter");
    await waitForFocus(page, "Cancel");
    await page.keyboard.press("Shift+Tab");
    await waitForFocus(page, "Dry run");
    await page.keyboard.press("Shift+Tab");
    await waitForFocus(page, "Confirm revert");
    await page.keyboard.press("Enter");
    await action
      .getByRole("status")
      .getByText(/^Reverted/)
      .waitFor();
    await waitFor("label removed", async () => (await labels("web")).suspicious === undefined);
    assert.deepEqual(await labels("web"), { app: "web" });
    await assertAccessible(page, "event after revert");
    await screenshot(page, "revert");
  });

  it("pages back through older events", async () => {
    for (let i = 0; i < 60; i++) await post("Noise", "Debug", "db");
    await page.goto(`${server.url}/ui/?falco_rule=Noise`);
    const rows = page.locator("#events-table tbody tr");
    await waitFor("the first page", async () => (await rows.count()) === 50);
    await page.getByRole("button", { name: "Load older events" }).click();
    await waitFor("all 60", async () => (await rows.count()) === 60);
    assert.equal(await page.getByRole("button", { name: "Load older events" }).count(), 0, "the end");
  });

  it("signs out: the API answers 401 and the app goes back to sign-in", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/ui\/signin/);
    assert.equal((await page.request.get(`${server.url}/ui/api/rules`)).status(), 401);
  });

  it("ran without a script error or a content-security-policy refusal", () => {
    assert.deepEqual(pageErrors, []);
  });
});
