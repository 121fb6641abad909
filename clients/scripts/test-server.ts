// One real `pulse-sync demo` per test file: started before its tests, stopped after them, plus
// the fake Google's control routes the tests use to slow a sync down or revoke a grant.
import { afterAll, beforeAll } from "vitest";

import { DEMO_START_MS, freshAdminKey, startPulseServer, type PulseServer } from "./pulse-server.mjs";

/** The seed's account, which the demo workspace `demo` is connected to. */
export const SEED_ACCOUNT = "seed@example.com";

/** A running demo for the tests of this file, with an admin key for other workspaces. */
export interface TestServer extends PulseServer {
  /** PULSE_ADMIN_API_KEY of this demo: any workspace. */
  adminKey: string;
  /** Calls the fake Google's `/__control` route. */
  control(method: string, route: string, body?: unknown): Promise<unknown>;
}

/** Starts a demo before this file's tests; the returned object is filled once it runs. */
export function useTestServer(options: { corsOrigins?: string[] } = {}): TestServer {
  const server = {} as TestServer;
  beforeAll(async () => {
    const adminKey = freshAdminKey();
    const started = await startPulseServer({ ...options, adminKey });
    Object.assign(server, started, {
      adminKey,
      stop: started.stop,
      async control(method: string, route: string, body?: unknown) {
        const init: RequestInit = { method, signal: AbortSignal.timeout(15_000) };
        if (body !== undefined) {
          init.headers = { "Content-Type": "application/json" };
          init.body = JSON.stringify(body);
        }
        const response = await fetch(`${started.fakeGoogle}/__control${route}`, init);
        const text = await response.text();
        if (!response.ok) throw new Error(`${method} /__control${route} answered ${response.status}: ${text}`);
        return text ? JSON.parse(text) : null;
      },
    });
  }, DEMO_START_MS + 30_000);
  afterAll(async () => {
    if (server.stop) await server.stop();
  }, 60_000);
  return server;
}

/** Makes the fake Google serve small, slow pages, so a sync runs long enough to watch. */
export async function slowDownGoogle(server: TestServer, pages = 6): Promise<void> {
  await server.control("PUT", "/settings", { page_size_cap: 50 });
  await server.control("POST", "/faults", { target: "people", fault: { kind: "slow", millis: 700 }, times: pages });
}

/** A workspace id no other test uses. */
export function freshWorkspace(prefix = "client-test"): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}
