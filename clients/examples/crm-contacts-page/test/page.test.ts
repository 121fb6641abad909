// The example CRM Contacts page in headless Chromium (playwright-core, Debian's chromium) against
// a real `pulse-sync demo` that allows the page's origin: loading, the CRM's theme on the card,
// the toggle and the interval (mouse and keyboard), Sync now with its live progress to the seed's
// "12 synced, 416 skipped (no identifier)" and the contact list it refreshes, the reconnect state
// after Google revokes the grant, and Reconnect through the fake Google's consent back to the page.
// A screenshot is saved after each test into tests/artifacts/clients/.
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";

import { pageUrl, serveExample } from "../serve.mjs";
import { SEED_ACCOUNT, slowDownGoogle, useTestServer } from "../../../scripts/test-server.js";

const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..", "tests", "artifacts", "clients");
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const UI_MS = 15_000;
const SYNC_MS = 60_000;

// The page's server first: the demo must allow its origin. It knows the API's origin only for its
// Content-Security-Policy.
const example = await serveExample({ port: 0, apiOrigin: () => server.baseUrl });
const server = useTestServer({ corsOrigins: [example.origin] });
let context: BrowserContext;
let page: Page;
let userDataDir: string;
const problems: string[] = [];
let shot = 0;

beforeAll(async () => {
  rmSync(ARTIFACTS, { recursive: true, force: true });
  mkdirSync(ARTIFACTS, { recursive: true });
}, 10_000);

describe("the example CRM Contacts page in headless Chromium", () => {
  beforeAll(async () => {
    userDataDir = path.join(ARTIFACTS, "chromium-profile");
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
      viewport: { width: 1024, height: 900 },
      timeout: 60_000,
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(UI_MS);
    page.on("pageerror", (error) => problems.push(`page error: ${error}`));
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(`console: ${message.text()}`);
    });
  }, 120_000);

  afterEach(async (context) => {
    shot += 1;
    const name = context.task.name.replace(/[^a-z0-9]+/gi, "-").slice(0, 60);
    await page?.screenshot({ path: path.join(ARTIFACTS, `${String(shot).padStart(2, "0")}-${name}.png`), fullPage: true }).catch(() => {});
  });

  afterAll(async () => {
    await context?.close().catch(() => {});
    await example?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  }, 60_000);

  const card = () => page.getByRole("region", { name: "Automatic Sync" });
  const toggle = () => page.getByRole("switch", { name: "Automatic Sync" });
  const part = (name: string) => card().locator(`.pulse-sync__${name}`);

  test("the card loads inside the CRM page: skeleton first, then connected to the seed account", async () => {
    let release = () => {};
    const released = new Promise<void>((resolve) => { release = resolve; });
    await page.route("**/api/logos-vision/auto-sync/config?*", async (route) => {
      await released;
      await route.continue();
    });
    await page.goto(pageUrl(example.origin, { apiUrl: server.baseUrl, apiKey: server.apiKey, workspaceId: "demo" }));
    await page.getByRole("status", { name: "Loading auto-sync settings" }).waitFor();
    expect(await toggle().count()).toBe(0);
    release();
    await toggle().waitFor();
    await page.unroute("**/api/logos-vision/auto-sync/config?*");
    expect(page.url()).not.toContain("key=");
    await expect.poll(() => part("connection-text").textContent()).toBe(`Connected as ${SEED_ACCOUNT}. pulse-sync can read your Google Contacts.`);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Contacts");
    expect(await page.getByText("No contacts synced yet.").isVisible()).toBe(true);
  });

  test("the card takes the CRM's colours from the --pulse-* variables", async () => {
    const colours = await page.evaluate(() => {
      const probe = document.createElement("span");
      probe.style.color = "var(--pulse-accent)";
      document.body.append(probe);
      const accent = getComputedStyle(probe).color;
      probe.remove();
      const button = document.querySelector(".pulse-sync__sync-now");
      return { accent, button: button ? getComputedStyle(button).backgroundColor : "" };
    });
    expect(colours.accent).not.toBe("rgb(26, 115, 232)");
    expect(colours.button).toBe(colours.accent);
  });

  test("the toggle turns auto-sync on; 12 hours moves the next sync", async () => {
    expect(await toggle().getAttribute("aria-checked")).toBe("false");
    await toggle().click();
    await expect.poll(() => part("next-sync").textContent()).toBe("Next sync: in 24 hours");
    expect(await toggle().getAttribute("aria-checked")).toBe("true");
    await page.getByLabel("Sync every").selectOption("12");
    await expect.poll(() => part("next-sync").textContent()).toBe("Next sync: in 12 hours");
    expect(await part("interval-text").textContent()).toBe("Sync contacts from Google every 12 hours");
  });

  test("the keyboard reaches the toggle and switches it with Space and Enter", async () => {
    await toggle().focus();
    await page.keyboard.press("Space");
    await expect.poll(() => toggle().getAttribute("aria-checked")).toBe("false");
    await expect.poll(() => part("settings-message").textContent()).toBe("Auto-sync is off");
    await page.keyboard.press("Enter");
    await expect.poll(() => toggle().getAttribute("aria-checked")).toBe("true");
    await expect.poll(() => part("next-sync").textContent()).toBe("Next sync: in 12 hours");
  });

  test("Sync now shows live progress, then 12 synced, 416 skipped, and the contact list fills", async () => {
    await slowDownGoogle(server);
    const syncNow = page.getByRole("button", { name: "Sync now" });
    await syncNow.click();
    const bar = page.getByRole("progressbar", { name: "Sync progress" });
    await bar.waitFor();
    await expect
      .poll(() => part("progress-text").textContent(), { timeout: SYNC_MS })
      .toMatch(/^Syncing… [1-9][\d,]* contacts fetched$/);
    expect(await bar.getAttribute("aria-valuetext")).toMatch(/^Syncing… [\d,]+ contacts fetched$/);
    expect(await syncNow.isDisabled()).toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS, "sync-progress.png"), fullPage: true });
    await expect
      .poll(() => part("sync-result").textContent(), { timeout: SYNC_MS })
      .toBe("12 synced, 416 skipped (no identifier)");
    await bar.waitFor({ state: "detached" });
    await expect.poll(() => part("last-sync").textContent()).toMatch(/· 12 synced, 416 skipped \(no identifier\)$/);
    const firstJob = card().getByRole("table", { name: "Recent syncs" }).locator("tbody tr").first();
    expect((await firstJob.locator("td").allTextContents()).slice(1)).toEqual([
      "manual",
      "completed",
      "12 synced, 416 skipped (no identifier)",
    ]);
    // The page refreshes its list when the card reports the sync: as many contacts as synced.
    const contacts = page.getByRole("table", { name: "Google contacts" }).locator("tbody tr");
    await expect.poll(() => contacts.count()).toBe(12);
    expect(await page.locator(".crm-count").textContent()).toBe("12 contacts");
  });

  test("after Google revokes the grant, Sync now fails and the card asks to reconnect", async () => {
    await server.control("DELETE", "/faults");
    await server.control("POST", `/accounts/${encodeURIComponent(SEED_ACCOUNT)}/revoke-grants`);
    await page.getByRole("button", { name: "Sync now" }).click();
    await expect.poll(() => part("sync-result").textContent(), { timeout: SYNC_MS }).toMatch(/^Failed: .*Google/);
    await page.getByRole("button", { name: "Reconnect" }).waitFor();
    expect(await part("badge").textContent()).toBe("Reconnect needed");
    expect(await part("next-sync").textContent()).toBe("Auto-sync is paused");
    expect(await part("paused").textContent()).toBe("Paused: Google access was revoked. Reconnect Google to resume auto-sync.");
  });

  test("Reconnect goes through Google's consent and back to the page, connected again", async () => {
    await Promise.all([
      page.waitForURL((url) => url.origin === example.origin && url.pathname === "/", { timeout: UI_MS * 2 }),
      page.getByRole("button", { name: "Reconnect" }).click(),
    ]);
    await toggle().waitFor();
    await expect.poll(() => part("settings-message").textContent()).toBe("Google connected.");
    await expect.poll(() => part("badge").textContent()).toBe("Connected");
    expect(new URL(page.url()).search).toBe("");
    expect(await page.getByRole("button", { name: "Reconnect" }).count()).toBe(0);
    await expect.poll(() => part("next-sync").textContent()).toBe("Next sync: in 12 hours");
    await page.getByRole("button", { name: "Sync now" }).click();
    await expect
      .poll(() => part("sync-result").textContent(), { timeout: SYNC_MS })
      .toMatch(/^[\d,]+ synced, [\d,]+ skipped \(no identifier\)/);
  });

  test("a phone-sized screen has no sideways scroll and keeps the controls on screen", async () => {
    await page.setViewportSize({ width: 375, height: 740 });
    const widths = await page.evaluate(() => ({
      document: document.documentElement.scrollWidth,
      viewport: document.documentElement.clientWidth,
    }));
    expect(widths.document).toBeLessThanOrEqual(widths.viewport);
    for (const control of [toggle(), page.getByLabel("Sync every"), page.getByRole("button", { name: "Sync now" })]) {
      const box = await control.boundingBox();
      expect(box && box.x >= 0 && box.x + box.width <= widths.viewport).toBe(true);
    }
  });

  test("the page raised no script errors and broke no content policy", () => {
    expect(problems).toEqual([]);
  });
});
