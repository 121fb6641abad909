// The settings methods and the typed errors against a real `pulse-sync demo` on loopback.
import { createServer } from "node:net";

import { describe, expect, test } from "vitest";

import { PulseApiError, PulseClient, PulseNetworkError } from "../src/index.js";
import { freshWorkspace, useTestServer } from "../../scripts/test-server.js";

const server = useTestServer();
const demo = () => new PulseClient({ baseUrl: server.baseUrl, apiKey: server.apiKey });
const admin = () => new PulseClient({ baseUrl: server.baseUrl, apiKey: server.adminKey });

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const listener = createServer();
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  const address = listener.address();
  await new Promise((resolve) => listener.close(resolve));
  if (typeof address !== "object" || address === null) throw new Error("no port");
  return address.port;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("the call succeeded");
}

describe("getAutoSyncConfig and updateAutoSyncConfig", () => {
  test("a workspace that never saved settings reads the defaults: off, every 24 hours", async () => {
    const workspace = freshWorkspace();
    const config = await admin().getAutoSyncConfig(workspace);
    expect(config).toMatchObject({
      workspace_id: workspace,
      enabled: false,
      interval_hours: 24,
      next_sync_at: null,
      next_sync_in: null,
      connection: "not_connected",
    });
  });

  test("turning on with 12 hours schedules the next sync in 12 hours; turning off keeps the interval", async () => {
    const client = demo();
    const on = await client.updateAutoSyncConfig("demo", { enabled: true, interval_hours: 12 });
    expect(on.enabled).toBe(true);
    expect(on.interval_hours).toBe(12);
    expect(on.next_sync_in).toBe("in 12 hours");
    expect(Date.parse(on.next_sync_at ?? "")).toBeGreaterThan(Date.now());
    expect(await client.getAutoSyncConfig("demo")).toEqual(on);

    const off = await client.updateAutoSyncConfig("demo", { enabled: false });
    expect(off).toMatchObject({ enabled: false, interval_hours: 12, next_sync_at: null, next_sync_in: null });
  });

  test("a refused interval is a PulseApiError with the documented code and field", async () => {
    const error = await rejection(demo().updateAutoSyncConfig("demo", { enabled: true, interval_hours: 0 }));
    expect(error).toBeInstanceOf(PulseApiError);
    const apiError = error as PulseApiError;
    expect(apiError.status).toBe(400);
    expect(apiError.code).toBe("invalid_interval");
    expect(apiError.field).toBe("interval_hours");
    expect(apiError.message).toBe(apiError.body?.error.message);
    expect(apiError.message).toMatch(/1 to 720/);
  });

  test("an unknown key answers 401 invalid_api_key, another workspace 403 forbidden_workspace", async () => {
    const stranger = new PulseClient({ baseUrl: server.baseUrl, apiKey: "pulse_not_a_key" });
    const unknown = (await rejection(stranger.getAutoSyncConfig("demo"))) as PulseApiError;
    expect(unknown).toBeInstanceOf(PulseApiError);
    expect([unknown.status, unknown.code]).toEqual([401, "invalid_api_key"]);
    expect(unknown.retryable).toBe(false);

    const other = (await rejection(demo().getAutoSyncConfig("demo-large"))) as PulseApiError;
    expect([other.status, other.code]).toEqual([403, "forbidden_workspace"]);
  });

  test("a server that does not answer is a PulseNetworkError", async () => {
    const port = await closedPort();
    const client = new PulseClient({ baseUrl: `http://127.0.0.1:${port}`, apiKey: server.apiKey });
    const error = await rejection(client.getAutoSyncConfig("demo"));
    expect(error).toBeInstanceOf(PulseNetworkError);
    expect((error as PulseNetworkError).retryable).toBe(true);
  });

  test("an aborted call rejects with the abort, not a PulseError", async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await rejection(demo().getAutoSyncConfig("demo", { signal: controller.signal }));
    expect((error as Error).name).toBe("AbortError");
  });
});

describe("connectGoogle", () => {
  test("answers the consent URL of the server's Google, with the state and the PKCE challenge", async () => {
    const url = new URL(await demo().connectGoogle("demo", { returnTo: `${server.baseUrl}/` }));
    expect(`${url.origin}${url.pathname}`).toBe(`${server.fakeGoogle}/o/oauth2/v2/auth`);
    expect(url.searchParams.get("state")).toBeTruthy();
    expect(url.searchParams.get("code_challenge_method")).toBe("S256");
  });

  test("a return_to on a foreign origin is refused with invalid_return_to", async () => {
    const error = (await rejection(
      demo().connectGoogle("demo", { returnTo: "https://elsewhere.example/" }),
    )) as PulseApiError;
    expect(error).toBeInstanceOf(PulseApiError);
    expect([error.status, error.code, error.field]).toEqual([400, "invalid_return_to", "return_to"]);
  });
});
