/**
 * Headless Chromium for the console's browser tests: Debian's `chromium` driven by
 * playwright-core (which downloads no browser of its own), axe-core checks, and screenshots
 * saved outside the repository unless UPDATE_SCREENSHOTS=1 asks for docs/images/.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";

const ROOT = resolve(import.meta.dirname, "../..");
const require = createRequire(import.meta.url);

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export function launchChromium(): Promise<Browser> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: scripts/test.sh installs Debian's chromium`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
    ],
  });
}

/**
 * Loads axe-core into every document the page opens. An init script runs outside the page's
 * content security policy, which forbids the inline script tag a test would otherwise add.
 */
export async function withAxe(page: Page): Promise<void> {
  await page.addInitScript({ path: require.resolve("axe-core/axe.min.js") });
}

interface AxeViolation {
  id: string;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/** Runs axe on the page as it is (WCAG 2.1 A/AA and best practices) and fails on any violation. */
export async function assertAccessible(page: Page, what: string): Promise<void> {
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: unknown[] }> };
      }
    ).axe;
    const result = await axe.run((globalThis as unknown as { document: unknown }).document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
    });
    return result.violations;
  });
  const text = (violations as AxeViolation[])
    .map(
      (v) =>
        `${v.id}: ${v.help}\n${v.nodes.map((n) => `  ${n.target.join(" ")} ${n.failureSummary ?? ""}`).join("\n")}`,
    )
    .join("\n");
  assert.equal(violations.length, 0, `${what}: accessibility violations\n${text}`);
}

/** Where screenshots go: docs/images/ with UPDATE_SCREENSHOTS=1, else a folder under the temp dir. */
export function screenshotDir(): string {
  const dir =
    process.env.UPDATE_SCREENSHOTS === "1"
      ? join(ROOT, "docs", "images")
      : join(process.env.TMPDIR ?? tmpdir(), "falco-talon-console-shots");
  mkdirSync(dir, { recursive: true });
  return dir;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const path = join(screenshotDir(), `console-${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** The focused element's tag and visible text (keyboard navigation checks). */
export function focused(page: Page): Promise<{ tag: string; text: string }> {
  return page.evaluate(() => {
    const el = (
      globalThis as unknown as {
        document: { activeElement: { tagName: string; textContent?: string | null } | null };
      }
    ).document.activeElement;
    return { tag: el?.tagName ?? "", text: (el?.textContent ?? "").trim() };
  });
}

/** Presses Tab until the focused element's text is `text` (at most `max` times). */
export async function tabTo(page: Page, text: string, max = 20): Promise<void> {
  for (let i = 0; i < max; i++) {
    if ((await focused(page)).text === text) return;
    await page.keyboard.press("Tab");
  }
  assert.fail(`Tab never reached "${text}"; focus is on ${JSON.stringify(await focused(page))}`);
}

/** Waits until the focused element's text is `text` (a re-render may move focus a frame later). */
export async function waitForFocus(page: Page, text: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let now = await focused(page);
  while (now.text !== text) {
    if (Date.now() > deadline) assert.fail(`focus never reached "${text}"; it is on ${JSON.stringify(now)}`);
    await new Promise((r) => setTimeout(r, 50));
    now = await focused(page);
  }
}
