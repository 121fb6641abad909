// The settings page in headless Chromium against the real `pulse-sync demo`: loading, the auto-sync
// toggle and interval, "Sync now" with its progress and result, the reconnect state after Google
// revokes the grant, a phone-sized screen, the keyboard, a link for another workspace, and the
// demo's exit on SIGTERM.
// A screenshot is saved after each step into tests/artifacts/browser/.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHmac, timingSafeEqual } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

import { redact, startDemo } from "./demo.js";

const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "artifacts", "browser");
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const SEED_ACCOUNT = "seed@example.com";
const DEMO_START_MS = 180_000;
const UI_MS = 15_000;
const SYNC_MS = 60_000;
const STEP_MS = 90_000;
const EXIT_MS = 30_000;

let demo;
let urls;
let browser;
let page;
const pageErrors = [];
let shot = 0;

async function screenshot(name) {
  shot += 1;
  const file = path.join(ARTIFACTS, `${String(shot).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

// Runs one step of the scenario; saves a screenshot after it, or a failure screenshot.
function step(name, shot, body, timeout = STEP_MS) {
  test(name, { timeout }, async () => {
    assert.ok(page, "the page did not open");
    try {
      await body();
    } catch (error) {
      await screenshot(`FAILED-${shot}`).catch(() => {});
      throw new Error(`${error.message}\n--- demo output ---\n${demo ? demo.tail() : ""}`, { cause: error });
    }
    await screenshot(shot);
  });
}

// Waits until the element's text matches `expected`; the error says what it showed instead.
async function waitForText(selector, expected, timeout = UI_MS) {
  const matches = (text) =>
    expected instanceof RegExp ? expected.test(text) : text.includes(expected);
  const deadline = Date.now() + timeout;
  let text = "";
  for (;;) {
    text = ((await page.locator(selector).textContent({ timeout })) || "").trim();
    if (matches(text) && (await page.locator(selector).isVisible())) return text;
    if (Date.now() > deadline) {
      assert.fail(`${selector} should show ${expected}, shows ${JSON.stringify(redact(text))}`);
    }
    await page.waitForTimeout(100);
  }
}

// Waits for `promise`, failing with `what` after `timeout` ms.
async function within(promise, timeout, what) {
  let timer;
  const expired = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeout} ms waiting until ${what}`)), timeout);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

async function control(method, route, body) {
  const response = await fetch(`${urls.fakeGoogle}/__control${route}`, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(UI_MS),
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} /__control${route} answered ${response.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

const toggle = () => page.locator("#auto-sync-toggle");

// A webhook receiver on loopback that keeps what it got and answers 204.
function startReceiver() {
  const received = [];
  const server = createServer((request, response) => {
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks) });
      response.writeHead(204);
      response.end();
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      resolve({ url: `http://127.0.0.1:${server.address().port}/hooks/pulse`, received, close: () => server.close() });
    });
  });
}

// The check of docs/api.md: the signature over "<t>.<raw body>", and a fresh timestamp.
function verified(header, rawBody, secret) {
  const parts = Object.fromEntries((header || "").split(",").map((p) => p.split("=", 2)));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > 300) return false;
  const expected = createHmac("sha256", secret).update(`${parts.t}.`).update(rawBody).digest("hex");
  const given = Buffer.from(parts.v1 || "", "utf8");
  return given.length === expected.length && timingSafeEqual(Buffer.from(expected), given);
}

let receiver;
let webhookSecret;

describe("settings page in headless Chromium", { timeout: 15 * 60_000 }, () => {
  before(async () => {
    rmSync(ARTIFACTS, { recursive: true, force: true });
    mkdirSync(ARTIFACTS, { recursive: true });
    demo = startDemo();
    urls = await demo.urls(DEMO_START_MS);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
    const context = await browser.newContext({ viewport: { width: 1024, height: 768 } });
    page = await context.newPage();
    page.setDefaultTimeout(UI_MS);
    page.setDefaultNavigationTimeout(UI_MS * 2);
    page.on("pageerror", (error) => pageErrors.push(String(error)));
  }, { timeout: DEMO_START_MS + 90_000 });

  after(async () => {
    if (receiver) receiver.close();
    if (browser) await browser.close().catch(() => {});
    if (demo) await demo.cleanUp();
  }, { timeout: 60_000 });

  step("loading skeleton gives way to the card", "card-loaded", async () => {
    let release;
    const released = new Promise((resolve) => { release = resolve; });
    const configRoute = "**/api/logos-vision/auto-sync/config?*";
    let held;
    const heldRequest = new Promise((resolve) => { held = resolve; });
    await page.route(configRoute, async (route) => {
      held();
      await released;
      await route.continue();
    });
    await page.goto(urls.settingsPage);
    await page.locator("#skeleton").waitFor({ state: "visible" });
    assert.equal(await page.locator("#settings").isVisible(), false, "the card shows while loading");
    await within(heldRequest, UI_MS, "the page asks for the settings");
    await screenshot("skeleton");
    release();
    await page.locator("#settings").waitFor({ state: "visible" });
    await page.locator("#skeleton").waitFor({ state: "hidden" });
    await page.unroute(configRoute);
    assert.ok(!page.url().includes("key="), "the API key stays in the address bar");
    assert.equal(await page.locator("#key-form").isVisible(), false, "the key form shows although the URL had a key");
    for (const card of ["#google", "#sync", "#jobs"]) {
      assert.ok(await page.locator(card).isVisible(), `${card} is visible`);
    }
    await waitForText("#connection-badge", "Connected");
    await waitForText("#connection-text", `Connected as ${SEED_ACCOUNT}.`);
    await waitForText("#jobs-body", "No syncs yet");
  });

  step("the toggle starts OFF", "toggle-off", async () => {
    assert.equal(await toggle().getAttribute("aria-checked"), "false");
    await waitForText("#toggle-label", /^OFF$/);
    await waitForText("#next-sync", /^Auto-sync is off$/);
  });

  step("turning auto-sync on shows the next sync in 24 hours", "toggle-on-24-hours", async () => {
    await toggle().click();
    await waitForText("#next-sync", /^Next sync: in 24 hours$/);
    assert.equal(await toggle().getAttribute("aria-checked"), "true");
    await waitForText("#toggle-label", /^ON$/);
    await waitForText("#settings-message", "Auto-sync is on");
  });

  step("choosing 12 hours moves the next sync", "interval-12-hours", async () => {
    await page.locator("#interval-select").selectOption("12");
    await waitForText("#next-sync", /^Next sync: in 12 hours$/);
    await waitForText("#interval-text", "every 12 hours");
  });

  step("the webhook card shows no endpoint, then the one set through the API", "webhook-set", async () => {
    await page.locator("#webhooks").waitFor({ state: "visible" });
    await waitForText("#webhook-badge", /^Not set$/);
    await waitForText("#webhook-text", "No webhook endpoint");
    receiver = await startReceiver();
    const settings = new URL(urls.settingsPage);
    const key = new URLSearchParams(settings.hash.slice(1)).get("key");
    const response = await fetch(`${settings.origin}/api/logos-vision/webhooks`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
      body: JSON.stringify({ workspace_id: "demo", url: receiver.url, events: ["sync.completed", "sync.failed"] }),
      signal: AbortSignal.timeout(UI_MS),
    });
    const endpoint = await response.json();
    assert.equal(response.status, 200, JSON.stringify(redact(JSON.stringify(endpoint))));
    webhookSecret = endpoint.secret;
    await page.reload();
    await page.locator("#settings").waitFor({ state: "visible" });
    await waitForText("#webhook-badge", /^Active$/);
    await waitForText("#webhook-text", `sync.completed, sync.failed are sent to ${receiver.url}`);
    await waitForText("#webhook-deliveries", "No deliveries yet");
    assert.ok(!(await page.content()).includes(webhookSecret), "the page shows the secret");
  });

  step("Sync now shows progress, then the result and the job", "sync-completed", async () => {
    // Smaller, slower pages at the fake Google, so the job runs long enough to watch.
    await control("PUT", "/settings", { page_size_cap: 50 });
    await control("POST", "/faults", { target: "people", fault: { kind: "slow", millis: 700 }, times: 6 });
    await page.locator("#sync-now").click();
    await page.locator("#progress").waitFor({ state: "visible" });
    await waitForText("#progress-text", /Waiting for a worker…|Syncing… [\d,]+ contacts fetched/);
    await waitForText("#progress-text", /Syncing… ([1-9][\d,]*) contacts fetched/, SYNC_MS);
    assert.ok(await page.locator("#sync-now").isDisabled(), "Sync now is disabled while the job runs");
    await screenshot("sync-progress");
    await waitForText("#sync-result", /^12 synced, 416 skipped \(no identifier\)$/, SYNC_MS);
    await page.locator("#progress").waitFor({ state: "hidden" });
    await waitForText("#last-sync", "12 synced, 416 skipped (no identifier)");
    const firstRow = page.locator("#jobs-body tr").first();
    await waitForText("#jobs-body tr:first-child", "completed");
    const cells = (await firstRow.locator("td").allTextContents()).map((text) => text.trim());
    assert.equal(cells[1], "manual");
    assert.equal(cells[2], "completed");
    assert.equal(cells[3], "12 synced, 416 skipped (no identifier)");
    assert.equal(await page.locator("#jobs-body tr").count(), 1);
    await waitForText("#next-sync", /^Next sync: in 12 hours$/);
  });

  step("the webhook card shows the sync's delivery, signed", "webhook-delivered", async () => {
    await waitForText("#webhook-deliveries tr:first-child", /sync\.completed.*delivered.*HTTP 204/, SYNC_MS);
    assert.equal(receiver.received.length, 1, "one delivery");
    const [delivery] = receiver.received;
    assert.ok(verified(delivery.headers["pulse-signature"], delivery.body, webhookSecret), "the signature verifies");
    assert.ok(!verified(delivery.headers["pulse-signature"], delivery.body, "whsec_forged"), "a forged secret verifies");
    const event = JSON.parse(delivery.body);
    assert.equal(event.type, "sync.completed");
    assert.equal(event.workspace_id, "demo");
    assert.equal(event.id, delivery.headers["pulse-event-id"]);
    assert.equal(event.data.counts.synced, 12);
  });

  step("after Google revokes the grant, Sync now fails and asks to reconnect", "reconnect-needed", async () => {
    await control("DELETE", "/faults");
    const answer = await control("POST", `/accounts/${encodeURIComponent(SEED_ACCOUNT)}/revoke-grants`);
    assert.ok(answer.revoked >= 1, `the seed account had a grant to revoke: ${JSON.stringify(answer)}`);
    await page.locator("#sync-now").click();
    const result = await waitForText("#sync-result", /^Failed: /, SYNC_MS);
    assert.match(result, /Google/, "the failure names Google");
    assert.match(result, /reconnect|revoked|access/i, "the failure says what happened");
    assert.doesNotMatch(
      result,
      /invalid_grant|unauthenticated|HTTP|status|\b[45]\d\d\b|[{}]|error sending|reqwest|unknown error/i,
      "the failure is in words a person understands",
    );
    await page.locator("#connect-button").waitFor({ state: "visible" });
    await waitForText("#connect-button", /^Reconnect$/);
    await waitForText("#connection-badge", "Reconnect needed");
    await waitForText("#paused", "Reconnect Google to resume auto-sync");
    await waitForText("#next-sync", /^Auto-sync is paused$/);
    assert.equal((await page.locator("#settings-message").textContent()).trim(), "", "a stale save message stays");
    await waitForText("#jobs-body tr:first-child", "failed");
    assert.equal(await page.locator("#jobs-body tr").count(), 2);
  });

  step("a phone-sized screen has no sideways scroll and reaches the toggle", "phone", async () => {
    await page.setViewportSize({ width: 375, height: 667 });
    await page.reload();
    await page.locator("#settings").waitFor({ state: "visible" });
    await waitForText("#connect-button", /^Reconnect$/);
    const widths = await page.evaluate(() => ({
      body: document.body.scrollWidth,
      document: document.documentElement.scrollWidth,
      viewport: document.documentElement.clientWidth,
    }));
    assert.ok(
      widths.body <= widths.viewport && widths.document <= widths.viewport,
      `the page is wider than the screen: ${JSON.stringify(widths)}`,
    );
    const box = await toggle().boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= widths.viewport, `toggle at ${JSON.stringify(box)}`);
    assert.ok(box.width >= 44 && box.height >= 24, `the toggle is big enough to tap: ${JSON.stringify(box)}`);
    await toggle().click({ trial: true });
    for (const id of ["#interval-select", "#sync-now", "#connect-button"]) {
      const control = await page.locator(id).boundingBox();
      assert.ok(control && control.x >= 0 && control.x + control.width <= widths.viewport, `${id} fits: ${JSON.stringify(control)}`);
    }
  });

  step("the toggle is reached with Tab and switched with Space and Enter", "keyboard-enter", async () => {
    await page.evaluate(() => { if (document.activeElement) document.activeElement.blur(); window.scrollTo(0, 0); });
    let focused = false;
    for (let presses = 0; presses < 10 && !focused; presses += 1) {
      await page.keyboard.press("Tab");
      focused = await toggle().evaluate((element) => element === document.activeElement);
    }
    assert.ok(focused, "Tab reaches the toggle");
    const before = await toggle().getAttribute("aria-checked");
    const flipped = before === "true" ? "false" : "true";
    await page.keyboard.press("Space");
    await page.waitForFunction(
      (value) => document.getElementById("auto-sync-toggle").getAttribute("aria-checked") === value,
      flipped,
      { timeout: UI_MS },
    );
    await waitForText("#settings-message", flipped === "true" ? "Auto-sync is on" : "Auto-sync is off");
    assert.ok(await toggle().evaluate((element) => element === document.activeElement), "focus stays on the toggle");
    await screenshot("keyboard-space");
    await page.keyboard.press("Enter");
    await page.waitForFunction(
      (value) => document.getElementById("auto-sync-toggle").getAttribute("aria-checked") === value,
      before,
      { timeout: UI_MS },
    );
    await waitForText("#settings-message", before === "true" ? "Auto-sync is on" : "Auto-sync is off");
  });

  step("a refused key shows the error and the key form, and the right key opens the card", "wrong-key", async () => {
    const settings = new URL(urls.settingsPage);
    const key = new URLSearchParams(settings.hash.slice(1)).get("key");
    page = await page.context().newPage();
    page.setDefaultTimeout(UI_MS);
    page.on("pageerror", (error) => pageErrors.push(String(error)));
    await page.goto(`${settings.origin}/#key=pulse_not_a_key&workspace=demo`);
    await page.locator("#load-error").waitFor({ state: "visible" });
    await waitForText("#load-error-message", "The API key was not accepted");
    assert.equal(await page.locator("#settings").isVisible(), false, "the card shows without a valid key");
    assert.equal(await page.locator("#skeleton").isVisible(), false, "the skeleton stays after the error");
    await page.locator("#key-form").waitFor({ state: "visible" });
    assert.equal(await page.locator("#workspace-input").inputValue(), "demo");
    assert.equal(await page.locator("#retry-button").isVisible(), false, "Try again shows although the same key would be refused");
    await screenshot("wrong-key-error");
    await page.locator("#key-input").fill(key);
    await page.locator("#key-input").press("Enter");
    await page.locator("#settings").waitFor({ state: "visible" });
    await page.locator("#load-error").waitFor({ state: "hidden" });
    await page.locator("#key-form").waitFor({ state: "hidden" });
    await waitForText("#connect-button", /^Reconnect$/);
  });

  step("a redirect's reason shows only one of the page's own texts", "oauth-reason", async () => {
    const settings = new URL(urls.settingsPage);
    const withOutcome = (reason) => `${settings.origin}/?google=error&reason=${encodeURIComponent(reason)}${settings.hash}`;
    await page.goto(withOutcome("Call support at +1 555 0100 to restore access"));
    await waitForText("#settings-message", "Google was not connected: the sign-in did not finish; connect again.");
    const crafted = await page.locator("#settings-message").textContent();
    assert.ok(!crafted.includes("555"), `a crafted reason reached the page: ${crafted}`);
    await page.goto(withOutcome("access_denied"));
    await waitForText("#settings-message", "Google was not connected: access was declined on Google's page.");
  });

  step("a link for another workspace asks before switching", "switch-prompt", async () => {
    const settings = new URL(urls.settingsPage);
    const key = new URLSearchParams(settings.hash.slice(1)).get("key");
    const openWorkspace = () => page.evaluate(() => sessionStorage.getItem("pulse.workspace"));
    assert.equal(await openWorkspace(), "demo");
    const otherLink = `${settings.origin}/#key=${encodeURIComponent(key)}&workspace=demo-large`;
    await page.goto(otherLink);
    await page.locator("#switch-prompt").waitFor({ state: "visible" });
    await waitForText("#switch-text", 'This link opens the workspace "demo-large", but "demo" is open here.');
    assert.ok(!page.url().includes("key="), "the link's key stays in the address bar");
    assert.equal(await openWorkspace(), "demo", "the link switched before the user answered");
    await page.locator("#settings").waitFor({ state: "visible" });
    await screenshot("switch-asked");
    await page.locator("#switch-stay").click();
    await page.locator("#switch-prompt").waitFor({ state: "hidden" });
    assert.equal(await openWorkspace(), "demo", "staying switched anyway");
    await page.reload();
    assert.equal(await page.locator("#switch-prompt").isVisible(), false, "the refused link came back");
    assert.equal(await openWorkspace(), "demo");

    await page.goto(otherLink);
    await page.locator("#switch-prompt").waitFor({ state: "visible" });
    await page.locator("#switch-confirm").click();
    await page.locator("#switch-prompt").waitFor({ state: "hidden" });
    assert.equal(await openWorkspace(), "demo-large", "confirming did not switch");

    await page.goto(urls.settingsPage);
    await page.locator("#switch-prompt").waitFor({ state: "visible" });
    await page.locator("#switch-confirm").click();
    assert.equal(await openWorkspace(), "demo");
    await page.locator("#settings").waitFor({ state: "visible" });
  });

  test("the page raised no script errors", () => {
    assert.deepEqual(pageErrors, []);
  });

  test("the demo exits cleanly on SIGTERM", { timeout: EXIT_MS + 10_000 }, async () => {
    assert.ok(demo && !demo.exited, `the demo is still running before SIGTERM:\n${demo ? demo.tail() : ""}`);
    const exit = await demo.terminate(EXIT_MS);
    assert.ok(exit, `the demo did not exit within ${EXIT_MS} ms of SIGTERM:\n${demo.tail()}`);
    assert.deepEqual(exit, { code: 0, signal: null }, `the demo's exit:\n${demo.tail()}`);
    const key = new URLSearchParams(new URL(urls.settingsPage).hash.slice(1)).get("key");
    assert.ok(key && !demo.stderr.includes(key), "the demo's logs show the API key");
    // On stdout the key stands in exactly two lines: the page URL and the suggested curl.
    const keyLines = demo.stdout.split("\n").filter((line) => line.includes(key));
    assert.equal(keyLines.length, 2, `the key's lines on stdout:\n${keyLines.join("\n")}`);
    assert.ok(keyLines[0].startsWith("Settings page: "), keyLines[0]);
    assert.ok(keyLines[1].trimStart().startsWith("curl "), keyLines[1]);
  });
});
