// <AutoSyncSettings> in jsdom against a real `pulse-sync demo` on loopback (the workspace `demo`,
// connected to the fake Google's seed account): loading, the toggle and interval, Sync now with
// its live progress, the reconnect state, refused keys, an unreachable server and the return from
// Google's consent.
import { createServer } from "node:net";

import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, test, vi } from "vitest";

import { PulseClient, type Job } from "@pulse-sync/client";
import { AutoSyncSettings, PulseProvider } from "../src/index.js";
import { SEED_ACCOUNT, slowDownGoogle, useTestServer } from "../../scripts/test-server.js";

const server = useTestServer();
const SYNC_MS = 60_000;

function renderCard(props: Partial<Parameters<typeof AutoSyncSettings>[0]> = {}) {
  return render(
    <AutoSyncSettings apiUrl={server.baseUrl} apiKey={server.apiKey} workspaceId="demo" {...props} />,
  );
}

const card = () => screen.getByRole("region", { name: "Automatic Sync" });
const toggle = () => screen.getByRole("switch", { name: "Automatic Sync" });
const byClass = (name: string) => {
  const element = card().querySelector(`.pulse-sync__${name}`);
  if (!element) throw new Error(`no .pulse-sync__${name}`);
  return element;
};
const text = (name: string) => byClass(name).textContent?.trim() ?? "";

async function closedPort(): Promise<number> {
  const listener = createServer();
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  const address = listener.address();
  await new Promise((resolve) => listener.close(resolve));
  if (typeof address !== "object" || address === null) throw new Error("no port");
  return address.port;
}

describe("<AutoSyncSettings> against the demo", () => {
  test("a loading skeleton gives way to the card: off, connected, no syncs yet", async () => {
    renderCard();
    expect(screen.getByRole("status", { name: "Loading auto-sync settings" })).toBeTruthy();
    expect(screen.queryByRole("switch")).toBeNull();
    await screen.findByRole("switch", { name: "Automatic Sync" });
    expect(screen.queryByRole("status", { name: "Loading auto-sync settings" })).toBeNull();
    expect(toggle().getAttribute("aria-checked")).toBe("false");
    expect(toggle().textContent).toBe("OFF");
    expect(text("next-sync")).toBe("Auto-sync is off");
    expect(text("interval-text")).toBe("Sync contacts from Google every 24 hours");
    expect(text("badge")).toBe("Connected");
    expect(text("connection-text")).toBe(`Connected as ${SEED_ACCOUNT}. pulse-sync can read your Google Contacts.`);
    expect(screen.queryByRole("button", { name: /connect/i })).toBeNull();
    expect(text("last-sync")).toBe("Last sync: never");
    expect(within(screen.getByRole("table", { name: "Recent syncs" })).getByText("No syncs yet")).toBeTruthy();
  });

  test("the toggle turns auto-sync on from the keyboard, and the interval moves the next sync", async () => {
    const user = userEvent.setup();
    renderCard();
    await screen.findByRole("switch", { name: "Automatic Sync" });
    await user.tab();
    expect(document.activeElement).toBe(toggle());
    await user.keyboard(" ");
    await waitFor(() => expect(text("next-sync")).toBe("Next sync: in 24 hours"));
    expect(toggle().getAttribute("aria-checked")).toBe("true");
    expect(text("settings-message")).toBe("Auto-sync is on");
    expect(byClass("settings-message").getAttribute("aria-live")).toBe("polite");

    await user.selectOptions(screen.getByLabelText("Sync every"), "12");
    await waitFor(() => expect(text("next-sync")).toBe("Next sync: in 12 hours"));
    expect(text("interval-text")).toBe("Sync contacts from Google every 12 hours");

    await user.selectOptions(screen.getByLabelText("Sync every"), "custom");
    const custom = screen.getByLabelText("Custom interval in hours");
    await user.clear(custom);
    await user.type(custom, "0{Enter}");
    expect(text("settings-message")).toBe("Choose a whole number of hours from 1 to 720.");
    await user.clear(custom);
    await user.type(custom, "36");
    await user.click(screen.getByRole("button", { name: "Apply" }));
    await waitFor(() => expect(text("next-sync")).toBe("Next sync: in 36 hours"));
    expect((screen.getByLabelText("Sync every") as HTMLSelectElement).value).toBe("custom");

    await user.selectOptions(screen.getByLabelText("Sync every"), "12");
    await waitFor(() => expect(text("next-sync")).toBe("Next sync: in 12 hours"));
  });

  test("the quiet refresh shows a change made elsewhere without a reload", async () => {
    renderCard({ refreshIntervalMs: 200 });
    await screen.findByRole("switch", { name: "Automatic Sync" });
    expect(text("next-sync")).toBe("Next sync: in 12 hours");
    const elsewhere = new PulseClient({ baseUrl: server.baseUrl, apiKey: server.apiKey });
    await elsewhere.updateAutoSyncConfig("demo", { enabled: true, interval_hours: 36 });
    await waitFor(() => expect(text("next-sync")).toBe("Next sync: in 36 hours"));
    expect(text("interval-text")).toBe("Sync contacts from Google every 36 hours");
    await elsewhere.updateAutoSyncConfig("demo", { enabled: true, interval_hours: 12 });
  });

  test("Sync now shows live progress, then the seed's counts, the last sync and the job", async () => {
    const user = userEvent.setup();
    const finished: Job[] = [];
    renderCard({ pollIntervalMs: 100, onSyncComplete: (job) => finished.push(job) });
    await screen.findByRole("switch", { name: "Automatic Sync" });
    await slowDownGoogle(server);
    const syncNow = screen.getByRole("button", { name: "Sync now" });
    await user.click(syncNow);

    const bar = await screen.findByRole("progressbar", { name: "Sync progress" });
    expect(bar.getAttribute("aria-valuetext")).toMatch(/^(Waiting for a worker…|Syncing… [\d,]+ contacts fetched)$/);
    expect(byClass("progress-text").getAttribute("aria-live")).toBe("polite");
    expect((syncNow as HTMLButtonElement).disabled).toBe(true);
    await waitFor(() => expect(text("progress-text")).toMatch(/^Syncing… [1-9][\d,]* contacts fetched$/), { timeout: SYNC_MS });

    await waitFor(() => expect(text("sync-result")).toBe("12 synced, 416 skipped (no identifier)"), { timeout: SYNC_MS });
    expect(screen.queryByRole("progressbar")).toBeNull();
    expect((syncNow as HTMLButtonElement).disabled).toBe(false);
    await waitFor(() => expect(text("last-sync")).toMatch(/^Last sync: .+ · 12 synced, 416 skipped \(no identifier\)$/));
    const rows = within(screen.getByRole("table", { name: "Recent syncs" })).getAllByRole("row").slice(1);
    expect(rows).toHaveLength(1);
    const cells = within(rows[0] as HTMLElement).getAllByRole("cell").map((cell) => cell.textContent);
    expect(cells.slice(1)).toEqual(["manual", "completed", "12 synced, 416 skipped (no identifier)"]);
    expect(finished.map((job) => job.status)).toEqual(["completed"]);
  });

  test("after Google revokes the grant, Sync now fails and the card asks to reconnect", async () => {
    const user = userEvent.setup();
    const navigate = vi.fn();
    renderCard({ pollIntervalMs: 100, onNavigate: navigate, returnTo: `${server.baseUrl}/` });
    await screen.findByRole("switch", { name: "Automatic Sync" });
    await server.control("DELETE", "/faults");
    await server.control("POST", `/accounts/${encodeURIComponent(SEED_ACCOUNT)}/revoke-grants`);
    await user.click(screen.getByRole("button", { name: "Sync now" }));
    await waitFor(() => expect(text("sync-result")).toMatch(/^Failed: /), { timeout: SYNC_MS });
    expect(text("sync-result")).toMatch(/Google/);
    expect(byClass("sync-result").className).toContain("pulse-sync__message--error");

    const reconnect = await screen.findByRole("button", { name: "Reconnect" });
    expect(text("badge")).toBe("Reconnect needed");
    expect(text("paused")).toBe("Paused: Google access was revoked. Reconnect Google to resume auto-sync.");
    expect(text("next-sync")).toBe("Auto-sync is paused");
    expect(text("settings-message")).toBe("");

    await user.click(reconnect);
    await waitFor(() => expect(navigate).toHaveBeenCalledTimes(1));
    const consent = new URL(navigate.mock.calls[0]?.[0] as string);
    expect(`${consent.origin}${consent.pathname}`).toBe(`${server.fakeGoogle}/o/oauth2/v2/auth`);
    expect(consent.searchParams.get("state")).toBeTruthy();
  });

  test("another workspace replaces the card's contents with its own", async () => {
    const props = { apiUrl: server.baseUrl, apiKey: server.adminKey };
    const { rerender } = render(<AutoSyncSettings {...props} workspaceId="demo" />);
    await screen.findByRole("switch", { name: "Automatic Sync" });
    await waitFor(() => expect(text("connection-text")).toContain(SEED_ACCOUNT));
    rerender(<AutoSyncSettings {...props} workspaceId="demo-large" />);
    // At once: the skeleton, not the previous workspace's account.
    expect(card().textContent).not.toContain(SEED_ACCOUNT);
    await waitFor(() => expect(text("connection-text")).toContain("large@example.com"));
    expect(text("last-sync")).toBe("Last sync: never");
  });

  test("inside a <PulseProvider>, the card takes the provider's client", async () => {
    render(
      <PulseProvider apiUrl={server.baseUrl} apiKey={server.apiKey}>
        <AutoSyncSettings workspaceId="demo" title="Google Contacts sync" />
      </PulseProvider>,
    );
    await screen.findByRole("switch", { name: "Google Contacts sync" });
    const region = screen.getByRole("region", { name: "Google Contacts sync" });
    await waitFor(() => expect(region.textContent).toContain(SEED_ACCOUNT));
  });

  test("a refused key shows why, without a Try again that could not help", async () => {
    render(<AutoSyncSettings apiUrl={server.baseUrl} apiKey="pulse_not_a_key" workspaceId="demo" />);
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("Could not load auto-sync settings");
    expect(alert.textContent).toContain("The API key was not accepted for this workspace.");
    expect(screen.queryByRole("button", { name: "Try again" })).toBeNull();
    expect(screen.queryByRole("switch")).toBeNull();
  });

  test("an unreachable server shows the error and Try again, which loads again", async () => {
    const user = userEvent.setup();
    const port = await closedPort();
    render(<AutoSyncSettings apiUrl={`http://127.0.0.1:${port}`} apiKey={server.apiKey} workspaceId="demo" />);
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("The pulse-sync server cannot be reached. Check your connection.");
    await user.click(screen.getByRole("button", { name: "Try again" }));
    await screen.findByRole("alert");
    expect(screen.getByRole("button", { name: "Try again" })).toBeTruthy();
  });

  test("back from Google's consent, the card says how it went in its own words and tidies the address", async () => {
    window.history.replaceState(null, "", "/contacts?tab=google&google=error&reason=Call+support+at+555");
    renderCard();
    await screen.findByRole("switch", { name: "Automatic Sync" });
    await waitFor(() =>
      expect(text("settings-message")).toBe("Google was not connected: the sign-in did not finish; connect again."),
    );
    expect(window.location.search).toBe("?tab=google");
    act(() => window.history.replaceState(null, "", "/contacts?google=error&reason=access_denied"));
  });
});
