// The change feed iterator against a real `pulse-sync demo`: a mirror built from the start of the
// feed, then kept current from its stored cursor while the fake Google's contacts change.
import { describe, expect, test } from "vitest";

import { PulseClient, type ProfileChange, type ProfileChangePage } from "../src/index.js";
import { SEED_ACCOUNT, useTestServer } from "../../scripts/test-server.js";

const server = useTestServer();
const client = () => new PulseClient({ baseUrl: server.baseUrl, apiKey: server.apiKey });
const contacts = `/accounts/${encodeURIComponent(SEED_ACCOUNT)}/contacts`;

async function sync(): Promise<void> {
  const { job } = await client().syncNow("demo");
  const finished = await client().watchJob(job, { intervalMs: 100 });
  expect(finished.status).toBe("completed");
}

async function collect(pages: AsyncIterable<ProfileChangePage>): Promise<ProfileChangePage[]> {
  const all = [];
  for await (const page of pages) all.push(page);
  return all;
}

describe("changes()", () => {
  let cursor = "";
  let graceId = "";
  let graceResource = "";

  test("before any sync the feed has nothing and the iterator ends", async () => {
    expect(await collect(client().changes("demo"))).toEqual([]);
  });

  test("from the start, the pages hold every synced profile once, as created", async () => {
    await sync();
    const pages = await collect(client().changes("demo", { limit: 5 }));
    const items = pages.flatMap((page) => page.items);
    const profiles = [];
    for await (const profile of client().profiles("demo")) profiles.push(profile.id);
    expect(items.map((item) => item.profile.id).sort()).toEqual([...profiles].sort());
    expect(new Set(items.map((item) => item.change))).toEqual(new Set(["created"]));
    expect(pages.every((page) => page.items.length > 0 && page.items.length <= 5)).toBe(true);
    cursor = pages.at(-1)?.next_cursor ?? "";
    expect(cursor).not.toBe("");
  });

  test("from the stored cursor, only what changed since: a contact added on Google's side", async () => {
    const added = (await server.control("POST", contacts, {
      names: [{ given_name: "Grace", family_name: "Hopper", primary: true }],
      emails: [{ value: "grace.hopper@example.com", primary: true }],
    })) as { resource_name: string };
    await sync();
    const pages = await collect(client().changes("demo", { after: cursor }));
    const items = pages.flatMap((page) => page.items);
    expect(items.map((item) => [item.change, item.profile.source_id, item.profile.primary_email])).toEqual([
      ["created", added.resource_name, "grace.hopper@example.com"],
    ]);
    graceId = items[0]?.profile.id ?? "";
    cursor = pages.at(-1)?.next_cursor ?? cursor;
    graceResource = added.resource_name;
  });

  test("with follow, the iterator waits for the next change and stops when aborted", async () => {
    const controller = new AbortController();
    const seen: ProfileChange[] = [];
    // Settled into a value at once, so its rejection is handled while the test waits for the sync.
    const outcome = (async () => {
      for await (const page of client().changes("demo", { after: cursor, follow: true, pollIntervalMs: 100, signal: controller.signal })) {
        seen.push(...page.items);
        if (seen.some((item) => item.change === "deleted")) controller.abort(new Error("caught up"));
      }
      return null;
    })().catch((error: unknown) => error);
    await server.control("POST", `${contacts}/delete`, { resource_name: graceResource });
    await sync();
    expect(await outcome).toEqual(new Error("caught up"));
    expect(seen.map((item) => [item.change, item.profile.id])).toEqual([["deleted", graceId]]);
    expect(seen[0]?.profile.deleted_at).not.toBeNull();
  });
});
