// syncNow, watchJob, the job list and the profile pages against a real `pulse-sync demo`, whose
// fake Google holds the seed's 428-contact account (12 with an email or phone).
import { describe, expect, test } from "vitest";

import { PulseClient, describeJobResult, isFinished, type Job } from "../src/index.js";
import { slowDownGoogle, useTestServer } from "../../scripts/test-server.js";

const server = useTestServer();
const client = () => new PulseClient({ baseUrl: server.baseUrl, apiKey: server.apiKey });

describe("syncNow and watchJob", () => {
  test("a sync is watched from queued through running to the seed's counts", async () => {
    await slowDownGoogle(server);
    const started = await client().syncNow("demo");
    expect(started.alreadyRunning).toBe(false);
    expect(started.job.trigger).toBe("manual");
    expect(["queued", "running"]).toContain(started.job.status);

    const seen: Job[] = [];
    const finished = await client().watchJob(started.job, { intervalMs: 100, onProgress: (job) => seen.push(job) });
    expect(finished.id).toBe(started.job.id);
    expect(finished.status).toBe("completed");
    expect(describeJobResult(finished)).toBe("12 synced, 416 skipped (no identifier)");
    expect(finished.total_contacts).toBe(428);

    // Progress came while it ran: a running job with contacts fetched, then the final one, once.
    const running = seen.filter((job) => job.status === "running" && job.fetched > 0);
    expect(running.length).toBeGreaterThan(0);
    expect(seen.filter(isFinished)).toEqual([finished]);
    const fetched = seen.map((job) => job.fetched);
    expect(fetched).toEqual([...fetched].sort((a, b) => a - b));
  });

  test("Sync now while a sync runs answers the running job instead of the 409", async () => {
    await slowDownGoogle(server);
    const first = await client().syncNow("demo");
    const second = await client().syncNow("demo");
    expect(second.alreadyRunning).toBe(true);
    expect(second.job.id).toBe(first.job.id);
    const finished = await client().watchJob(first.job.id, { intervalMs: 100 });
    expect(finished.status).toBe("completed");
  });

  test("an aborted watch rejects with the signal's reason; the job goes on", async () => {
    await slowDownGoogle(server);
    const { job } = await client().syncNow("demo");
    const controller = new AbortController();
    const watch = client().watchJob(job, {
      intervalMs: 100,
      signal: controller.signal,
      onProgress: () => controller.abort(new Error("left the page")),
    });
    await expect(watch).rejects.toThrow("left the page");
    const finished = await client().watchJob(job.id, { intervalMs: 100 });
    expect(finished.status).toBe("completed");
  });

  test("listJobs answers the jobs newest first, in pages", async () => {
    const all = await client().listJobs("demo", { limit: 100 });
    expect(all.items.length).toBeGreaterThanOrEqual(3);
    const created = all.items.map((job) => Date.parse(job.created_at));
    expect(created).toEqual([...created].sort((a, b) => b - a));
    const first = await client().listJobs("demo", { limit: 1 });
    expect(first.items).toHaveLength(1);
    expect(first.next_cursor).toBeTruthy();
    const second = await client().listJobs("demo", { limit: 1, cursor: first.next_cursor ?? undefined });
    expect(second.items[0]?.id).toBe(all.items[1]?.id);
  });
});

describe("listProfiles and the profile iterator", () => {
  test("the iterator walks every page; together they hold each synced profile once", async () => {
    // The live profiles are those the jobs created less those they deleted.
    const { items } = await client().listJobs("demo", { limit: 100 });
    const completed = items.filter((job) => job.status === "completed");
    const synced = completed.reduce((sum, job) => sum + job.created - job.deleted, 0);
    expect(synced).toBeGreaterThan(0);

    const pages = [];
    for await (const page of client().profilePages("demo", { limit: 5 })) pages.push(page);
    expect(pages.length).toBe(Math.ceil(synced / 5));
    expect(pages.every((page) => page.items.length <= 5)).toBe(true);
    expect(pages.at(-1)?.next_cursor).toBeNull();

    const ids = [];
    for await (const profile of client().profiles("demo", { limit: 5 })) ids.push(profile.id);
    expect(new Set(ids).size).toBe(synced);
    expect(ids).toEqual(pages.flatMap((page) => page.items.map((profile) => profile.id)));
  });

  test("q narrows the list to names and emails that contain it", async () => {
    const everyone = [];
    for await (const profile of client().profiles("demo")) everyone.push(profile);
    const sample = everyone.find((profile) => profile.primary_email)?.primary_email ?? "";
    expect(sample).not.toBe("");
    const found = await client().listProfiles("demo", { q: sample });
    expect(found.items.length).toBeGreaterThan(0);
    for (const profile of found.items) {
      const text = [profile.display_name, ...profile.emails].join(" ").toLowerCase();
      expect(text).toContain(sample.toLowerCase());
    }
  });
});
