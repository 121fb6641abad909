// The reference of the job machinery benchmark: graphile-worker working COUNT no-op jobs with
// CONCURRENCY workers on the database at CONNECTION_STRING (its own schema, migrated here).
//
//   node noop-worker.mjs CONNECTION_STRING COUNT CONCURRENCY
//
// Queues COUNT jobs, then times from the start of the worker until COUNT jobs have been completed
// and written back, and prints `completed=N failed=N elapsed_ms=X`. Bounded: gives up after
// TIMEOUT_MS. Logging is silenced, as the Rust side runs without a log subscriber.
import { Logger, run, runMigrations } from "graphile-worker";
import pg from "pg";

const TIMEOUT_MS = 600_000;

const [connectionString, countText, concurrencyText] = process.argv.slice(2);
const count = Number.parseInt(countText ?? "", 10);
const concurrency = Number.parseInt(concurrencyText ?? "", 10);
if (!connectionString || !(count > 0) || !(concurrency > 0)) {
  console.error("usage: node noop-worker.mjs CONNECTION_STRING COUNT CONCURRENCY");
  process.exit(2);
}

const quiet = new Logger(() => () => {});
await runMigrations({ connectionString, logger: quiet });

const pool = new pg.Pool({ connectionString, max: 1 });
await pool.query(
  "SELECT graphile_worker.add_job('noop', json_build_object('n', g)) FROM generate_series(1, $1::int) AS g",
  [count],
);
await pool.query("VACUUM ANALYZE");
await pool.end();

let completed = 0;
let failed = 0;
let finish;
const allDone = new Promise((resolve) => {
  finish = resolve;
});
const started = process.hrtime.bigint();
const runner = await run({
  connectionString,
  concurrency,
  noHandleSignals: true,
  logger: quiet,
  taskList: { noop: async () => {} },
});
runner.events.on("job:error", () => {
  failed += 1;
});
runner.events.on("job:complete", () => {
  completed += 1;
  if (completed === count) {
    finish();
  }
});
const timer = setTimeout(finish, TIMEOUT_MS);
await allDone;
const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
clearTimeout(timer);
await runner.stop();
console.log(`completed=${completed} failed=${failed} elapsed_ms=${elapsedMs.toFixed(3)}`);
process.exit(completed === count && failed === 0 ? 0 : 1);
