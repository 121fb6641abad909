//! `bench-sync`: full-sync ingest and incremental sync.
//!
//! Each round resets a generated fake Google account (50,000 contacts; 10,000 with `--quick`),
//! makes two fresh migrated databases, then, one after the other (the reference first in odd
//! rounds, the sync first in even rounds), each after a `CHECKPOINT`:
//! - the reference: PostgreSQL `COPY` of the very profile rows a sync stores, into the empty
//!   `relationship_profiles` (the same table, with its indexes) of one database;
//! - a full sync by the real sync engine, over loopback HTTP, into the other;
//!
//! then 1% of the account changed (edits, additions, deletions) and the incremental sync after it.
//! The databases are dropped only after the round's timings (a `DROP DATABASE` forces a
//! checkpoint of the whole server).
//!
//! Figures: contacts per second of the full sync against `COPY` (as contacts per second for the
//! same rows; the reference's rows per second, min/median/max over the rounds, are in its name),
//! and the incremental sync's time against the full sync's.

use std::time::Duration;

use bytes::Bytes;
use pulse_bench::changes::change_contacts;
use pulse_bench::copy_reference::{capture_profiles, checkpoint, timed_copy};
use pulse_bench::database::{connect, fresh_database, production_store};
use pulse_bench::fake_account::{ACCOUNT_SEED, client, connect_user, start_fake, user_id};
use pulse_bench::figure::format_number;
use pulse_bench::stats::{Paired, Spread};
use pulse_bench::sync_run::{TimedSync, timed_listing, timed_sync};
use pulse_bench::{BenchArgs, BenchError, Bound, Figure, Goal};
use pulse_domain::UserId;
use pulse_domain::ports::SystemClock;
use pulse_domain::sync::{SyncEngine, SyncSettings};
use pulse_google::GoogleClient;
use pulse_google::fake::{Dataset, FakeGoogle, generated_account};
use pulse_storage::testing::TestDatabase;
use tokio_postgres::Client;

/// The fake Google account synced.
const ACCOUNT: &str = "bench@example.com";

/// The CRM user it is synced for.
const USER: &str = "bench-sync";

/// What one round measured.
struct Round {
    copy: Duration,
    copied: u64,
    full: TimedSync,
    incremental: TimedSync,
}

/// Everything a round needs.
struct Setup {
    fake: FakeGoogle,
    client: GoogleClient,
    dataset: Dataset,
    user: UserId,
    changed: usize,
}

#[tokio::main]
async fn main() -> Result<(), BenchError> {
    let args = BenchArgs::from_env()?;
    let contacts: u32 = args.size(50_000, 10_000);
    let rounds = args.size(5, 3);
    let dataset = generated_account(contacts, ACCOUNT_SEED);
    let fake = start_fake(&[(ACCOUNT, dataset)])?;
    let setup = Setup {
        client: client(&fake)?,
        fake,
        dataset,
        user: user_id(USER)?,
        changed: contacts as usize / 100,
    };
    let rows = warm_up(&setup).await?;
    let mut ingest = Paired::new();
    let mut incremental = Paired::new();
    let mut copy_rows_per_second = Vec::new();
    let mut stored_rows = 0;
    for round in 1..=rounds {
        let measured = run_round(&setup, &rows, round).await?;
        let (copy_secs, full_secs) = (
            measured.copy.as_secs_f64(),
            measured.full.duration.as_secs_f64(),
        );
        stored_rows = measured.full.counts.synced;
        eprintln!(
            "round {round}: COPY {:.3} s, full sync {:.3} s ({} contacts, {} profiles), incremental {:.1} ms ({} changes)",
            copy_secs,
            full_secs,
            measured.full.counts.total_contacts,
            measured.full.counts.synced,
            measured.incremental.duration.as_secs_f64() * 1000.0,
            measured.incremental.counts.total_contacts,
        );
        copy_rows_per_second.push(measured.copied as f64 / copy_secs);
        let listed = f64::from(contacts);
        ingest.push(listed / full_secs, listed / copy_secs);
        incremental.push(
            measured.incremental.duration.as_secs_f64() * 1000.0,
            full_secs * 1000.0,
        );
    }
    let spread = Spread::of(&copy_rows_per_second);
    eprintln!(
        "COPY reference: {} rows/s min, {} median, {} max over {} rounds",
        format_number(spread.min),
        format_number(spread.median),
        format_number(spread.max),
        copy_rows_per_second.len()
    );
    Figure::paired(
        &format!("full-sync ingest, {contacts} contacts"),
        "contacts/s",
        &ingest,
        &format!(
            "COPY of the same {stored_rows} rows (as contacts/s; {}-{}-{} rows/s)",
            format_number(spread.min),
            format_number(spread.median),
            format_number(spread.max)
        ),
    )
    .with_goal(Goal::ratio(Bound::AtLeast(0.5)))
    .report(&args)?;
    Figure::paired(
        &format!("incremental sync, 1% changed ({} changes)", setup.changed),
        "ms",
        &incremental,
        "full sync of the same account",
    )
    .inverted("full/incremental", &incremental)
    .with_goal(Goal::ratio(Bound::AtLeast(50.0)))
    .report(&args)?;
    Ok(())
}

/// One full sync not measured (it warms the caches and the fake), returning the stored profile
/// rows for the `COPY` reference.
async fn warm_up(setup: &Setup) -> Result<Bytes, BenchError> {
    let database = fresh_database().await?;
    let synced = full_sync(setup, &database).await?;
    let client = connect(database.url()).await?;
    let rows = capture_profiles(&client).await?;
    let refresh_token = setup.fake.grant(ACCOUNT)?;
    let (listing, listed) = timed_listing(&setup.client, &setup.user, &refresh_token).await?;
    eprintln!(
        "diagnostic: listing the {listed} contacts alone (fake Google, HTTP, parsing; no write) takes {:.3} s",
        listing.as_secs_f64()
    );
    eprintln!(
        "warm-up: full sync of {} contacts in {:.3} s; {} profile rows ({} bytes in COPY format)",
        synced.counts.total_contacts,
        synced.duration.as_secs_f64(),
        synced.counts.synced,
        rows.len()
    );
    Ok(rows)
}

async fn run_round(setup: &Setup, rows: &Bytes, round: usize) -> Result<Round, BenchError> {
    setup.fake.add_account(ACCOUNT, setup.dataset);
    let copy_database = fresh_database().await?;
    let copy_client = connect(copy_database.url()).await?;
    let sync_database = fresh_database().await?;
    let store = production_store(&sync_database, TestDatabase::key_ring())?;
    let engine = SyncEngine::new(
        store,
        setup.client.clone(),
        SystemClock,
        SyncSettings::default(),
    );
    let (copy, copied, full) = if round % 2 == 1 {
        let (copy, copied) = copy_rows(&copy_client, rows).await?;
        let full = full_sync_with(setup, &engine, &copy_client).await?;
        (copy, copied, full)
    } else {
        let full = full_sync_with(setup, &engine, &copy_client).await?;
        let (copy, copied) = copy_rows(&copy_client, rows).await?;
        (copy, copied, full)
    };
    let changes = change_contacts(&setup.fake, ACCOUNT, setup.changed, round)?;
    checkpoint(&copy_client).await;
    let incremental = timed_sync(&engine, &setup.user).await?;
    let expected = i64::try_from(changes.total()).unwrap_or(i64::MAX);
    if incremental.counts.total_contacts != expected {
        return Err(BenchError::Invalid(format!(
            "the incremental sync listed {} people, {expected} changed",
            incremental.counts.total_contacts
        )));
    }
    Ok(Round {
        copy,
        copied,
        full,
        incremental,
    })
}

/// The reference of one round: `rows` copied into the fresh database `client` is on.
async fn copy_rows(client: &Client, rows: &Bytes) -> Result<(Duration, u64), BenchError> {
    let (copy, copied) = timed_copy(client, rows).await?;
    if copied == 0 {
        return Err(BenchError::Invalid("COPY stored no row".to_owned()));
    }
    Ok((copy, copied))
}

async fn full_sync(setup: &Setup, database: &TestDatabase) -> Result<TimedSync, BenchError> {
    let client = connect(database.url()).await?;
    let store = production_store(database, TestDatabase::key_ring())?;
    let engine = SyncEngine::new(
        store,
        setup.client.clone(),
        SystemClock,
        SyncSettings::default(),
    );
    full_sync_with(setup, &engine, &client).await
}

async fn full_sync_with(
    setup: &Setup,
    engine: &SyncEngine<pulse_storage::PgStore, GoogleClient, SystemClock>,
    checkpoints: &Client,
) -> Result<TimedSync, BenchError> {
    connect_user(engine.store(), &setup.fake, &setup.user, ACCOUNT).await?;
    checkpoint(checkpoints).await;
    let synced = timed_sync(engine, &setup.user).await?;
    let expected = i64::from(setup.dataset.len());
    if synced.counts.total_contacts != expected {
        return Err(BenchError::Invalid(format!(
            "the full sync listed {} people, the account has {expected}",
            synced.counts.total_contacts
        )));
    }
    Ok(synced)
}
