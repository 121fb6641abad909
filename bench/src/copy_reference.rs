//! The physical limit of writing profiles: PostgreSQL's `COPY FROM STDIN` of the very rows a sync
//! stored, into `relationship_profiles` itself (its indexes and constraints) in a fresh migrated
//! database, as the sync writes into. Only the `COPY` itself is timed, after a `CHECKPOINT`.
//!
//! What made the reference unsteady (docs/performance.md, "The COPY reference"): the machine's
//! load first (the sync suffers it too, so only a round's own ratio counts), the unit (contacts/s
//! for fewer rows), a reused table's dead rows, and forced checkpoints: a `DROP DATABASE`, which
//! every test and benchmark makes, checkpoints the whole server, and the old round dropped the
//! reference's database right before timing the sync. Now each timed part starts after a
//! `CHECKPOINT` of its own, and no database is dropped until the round's timings are taken.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use futures::{SinkExt, TryStreamExt};
use tokio_postgres::Client;

use crate::error::BenchError;

/// The bytes sent per `CopyData` message, as `psql \copy` streams a file.
const CHUNK: usize = 256 * 1024;

/// The stored profiles in `COPY` text format, to replay into the reference table.
pub async fn capture_profiles(client: &Client) -> Result<Bytes, BenchError> {
    let stream = client
        .copy_out("COPY relationship_profiles TO STDOUT")
        .await?;
    let chunks: Vec<Bytes> = stream.try_collect().await?;
    let mut data = BytesMut::new();
    for chunk in chunks {
        data.extend_from_slice(&chunk);
    }
    Ok(data.freeze())
}

/// Writes every dirty buffer of the server out, so the timed work that follows starts from the
/// same state whatever ran before; a role that may not checkpoint (not a superuser nor
/// `pg_checkpoint`) skips it, with a note.
pub async fn checkpoint(client: &Client) {
    if let Err(error) = client.batch_execute("CHECKPOINT").await {
        eprintln!("note: CHECKPOINT refused ({error}); timings start without one");
    }
}

/// Times the `COPY` of `rows` into the empty `relationship_profiles` of the fresh database
/// `client` is connected to, after a checkpoint; returns the time and the rows copied.
pub async fn timed_copy(client: &Client, rows: &Bytes) -> Result<(Duration, u64), BenchError> {
    checkpoint(client).await;
    let started = Instant::now();
    let sink = client
        .copy_in("COPY relationship_profiles FROM STDIN")
        .await?;
    futures::pin_mut!(sink);
    let mut offset = 0;
    while offset < rows.len() {
        let end = (offset + CHUNK).min(rows.len());
        sink.send(rows.slice(offset..end)).await?;
        offset = end;
    }
    let copied = sink.as_mut().finish().await?;
    Ok((started.elapsed(), copied))
}
