//! `bench-memory --server-bin PATH`: the memory of a `pulse-sync sync` process.
//!
//! Each round runs the real binary's foreground sync (`pulse-sync sync --workspace U`) twice on a
//! fresh database against the in-process fake Google: once for an account of 100,000 contacts
//! (20,000 with `--quick`) and once for an empty account, the idle footprint of the same command
//! (start-up, pools, HTTP client, one job). The figure is the peak resident set (`VmHWM`, sampled
//! from `/proc/<pid>/status` until the exit) of the large sync minus the empty one's.

use std::path::PathBuf;
use std::time::Duration;

use pulse_bench::database::{fresh_database, production_store};
use pulse_bench::fake_account::{ACCOUNT_SEED, connect_user, process_env, start_fake, user_id};
use pulse_bench::figure::format_number;
use pulse_bench::process::{Finished, run_sampling_memory};
use pulse_bench::stats::Paired;
use pulse_bench::{BenchArgs, BenchError, Bound, Figure, Goal};
use pulse_google::fake::{Dataset, FakeGoogle, generated_account};
use pulse_storage::crypto::EncryptionKey;
use pulse_storage::testing::TestDatabase;
use pulse_storage::{KeyRing, generate_key};

/// The account of the measured sync.
const LARGE_ACCOUNT: &str = "large@example.com";

/// The account of the idle footprint.
const EMPTY_ACCOUNT: &str = "empty@example.com";

/// The longest one sync may take.
const SYNC_TIMEOUT: Duration = Duration::from_secs(300);

/// KiB in a MiB.
const KIB_PER_MIB: f64 = 1024.0;

#[tokio::main]
async fn main() -> Result<(), BenchError> {
    let args = BenchArgs::from_env()?;
    let server = PathBuf::from(args.required("server-bin")?);
    let contacts: u32 = args.size(100_000, 20_000);
    let rounds = 3;
    let fake = start_fake(&[
        (LARGE_ACCOUNT, generated_account(contacts, ACCOUNT_SEED)),
        (EMPTY_ACCOUNT, Dataset::Empty),
    ])?;
    let key = generate_key();
    let keys =
        KeyRing::new(EncryptionKey::from_base64(&key).map_err(|error| {
            BenchError::Invalid(format!("a generated key does not load: {error}"))
        })?);

    let mut growth = Paired::new();
    for round in 1..=rounds {
        let database = fresh_database().await?;
        let idle = sync_process(&server, &fake, &database, &keys, &key, EMPTY_ACCOUNT).await?;
        let large = sync_process(&server, &fake, &database, &keys, &key, LARGE_ACCOUNT).await?;
        let idle_kib = idle.memory.high_water_kib as f64;
        let large_kib = large.memory.high_water_kib as f64;
        eprintln!(
            "round {round}: peak RSS {:.1} MiB syncing {contacts} contacts in {:.2} s, {:.1} MiB syncing none; {}",
            large_kib / KIB_PER_MIB,
            large.elapsed.as_secs_f64(),
            idle_kib / KIB_PER_MIB,
            large.stdout.trim()
        );
        growth.push((large_kib - idle_kib) / KIB_PER_MIB, idle_kib / KIB_PER_MIB);
    }
    Figure::paired(
        &format!(
            "memory: peak RSS of `pulse-sync sync`, {} contacts, minus idle",
            format_number(f64::from(contacts))
        ),
        "MiB",
        &growth,
        "idle footprint (the same command syncing an empty account)",
    )
    .with_goal(Goal::value(Bound::AtMost(16.0)))
    .report(&args)?;
    Ok(())
}

/// Connects a workspace named after `account` and runs `pulse-sync sync` for it.
async fn sync_process(
    server: &std::path::Path,
    fake: &FakeGoogle,
    database: &TestDatabase,
    keys: &KeyRing,
    key: &str,
    account: &str,
) -> Result<Finished, BenchError> {
    let workspace = account.replace('@', "-at-");
    let store = production_store(database, keys.clone())?;
    connect_user(&store, fake, &user_id(&workspace)?, account).await?;
    let mut env = process_env(fake);
    env.push(("DATABASE_URL", database.url().to_owned()));
    env.push(("PULSE_ENCRYPTION_KEY", key.to_owned()));
    env.push(("RUST_LOG", "warn".to_owned()));
    let finished = run_sampling_memory(
        server,
        &["sync", "--workspace", &workspace],
        &env,
        SYNC_TIMEOUT,
    )
    .await?;
    if !finished.status.success() {
        return Err(BenchError::Invalid(format!(
            "pulse-sync sync --workspace {workspace} failed ({}): {}",
            finished.status,
            finished.stderr.trim()
        )));
    }
    Ok(finished)
}
