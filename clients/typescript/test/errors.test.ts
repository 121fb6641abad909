// The typed error of recorded error bodies (the shapes the schema types), where the live server
// cannot be made to answer them on demand: a 500 with its error id, a body that is not the
// documented one.
import { expect, test } from "vitest";

import { PulseApiError, describeJobResult, type ErrorBody, type Job } from "../src/index.js";

test("a 500's error id is kept apart from its fixed message", () => {
  const body = {
    error: {
      code: "internal_error",
      message: "something went wrong on our side (error id 3f9a1c2b7d4e)",
      error_id: "3f9a1c2b7d4e",
    },
  } satisfies ErrorBody;
  const error = PulseApiError.fromResponse(new Response(null, { status: 500 }), body);
  expect([error.status, error.code, error.errorId, error.retryable]).toEqual([500, "internal_error", "3f9a1c2b7d4e", true]);
  expect(error.message).toBe(body.error.message);
});

test("an answer that is not the error body (a proxy's page) still is a PulseApiError", () => {
  const error = PulseApiError.fromResponse(new Response(null, { status: 502 }), "<html>Bad gateway</html>");
  expect([error.status, error.code, error.body]).toEqual([502, "unexpected_response", null]);
  expect(error.message).toBe("The pulse-sync server answered 502");
});

test("a job's result reads as the settings page writes it", () => {
  const job = {
    id: "0b9d3c5e-8f7a-4c1e-9a53-2f0d6e1b7c44",
    workspace_id: "demo",
    trigger: "manual",
    status: "completed",
    fetched: 5002,
    total_contacts: 5002,
    synced: 4000,
    created: 10,
    updated: 3,
    unchanged: 3987,
    deleted: 2,
    skipped_no_identifier: 1000,
    error: null,
    attempt: 1,
    created_at: "2026-01-27T15:30:00Z",
    started_at: "2026-01-27T15:30:01Z",
    finished_at: "2026-01-27T15:30:03Z",
  } satisfies Job;
  expect(describeJobResult(job)).toBe("4,000 synced, 1,000 skipped (no identifier), 2 deleted");
  expect(describeJobResult({ ...job, status: "failed", error: "Google revoked access" })).toBe("Failed: Google revoked access");
});
