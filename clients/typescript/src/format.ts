/** Words for jobs, the same the embedded settings page and `pulse-sync sync` print. */
import type { Job, JobStatus } from "./types.js";

/** The statuses a job never leaves. */
export const FINAL_STATUSES: readonly JobStatus[] = ["completed", "failed", "cancelled"];

/** Whether the job has ended (completed, failed or cancelled). */
export function isFinished(job: Pick<Job, "status">): boolean {
  return FINAL_STATUSES.includes(job.status);
}

const numbers = new Intl.NumberFormat("en-US");

/** A count with thousands separators: 1,024. */
export function formatCount(count: number): string {
  return numbers.format(count);
}

/**
 * A finished job's result: "12 synced, 416 skipped (no identifier)" (", 3 deleted" when some
 * were), "Failed: <reason>" or "Cancelled".
 */
export function describeJobResult(job: Job): string {
  if (job.status === "failed") return `Failed: ${job.error ?? "unknown error"}`;
  if (job.status === "cancelled") return "Cancelled";
  const parts = [
    `${formatCount(job.synced)} synced`,
    `${formatCount(job.skipped_no_identifier)} skipped (no identifier)`,
  ];
  if (job.deleted > 0) parts.push(`${formatCount(job.deleted)} deleted`);
  return parts.join(", ");
}

/** A running job's progress: "Waiting for a worker…" or "Syncing… 300 contacts fetched". */
export function describeJobProgress(job: Job): string {
  if (job.status === "queued") return "Waiting for a worker…";
  if (job.status === "running") return `Syncing… ${formatCount(job.fetched)} contacts fetched`;
  return describeJobResult(job);
}
