//! The physical limit of writing profiles: PostgreSQL's `COPY FROM STDIN` of the very rows a sync
//! stored, into an empty table identical to `relationship_profiles` (same columns, defaults,
//! constraints and indexes). Only the `COPY` itself is timed.

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

/// Creates the empty twin of `relationship_profiles` and times the `COPY` of `rows` into it;
/// returns the time and the rows copied.
pub async fn timed_copy(client: &Client, rows: &Bytes) -> Result<(Duration, u64), BenchError> {
    client
        .batch_execute(
            "DROP TABLE IF EXISTS copy_reference;
             CREATE TABLE copy_reference (LIKE relationship_profiles INCLUDING ALL);",
        )
        .await?;
    let started = Instant::now();
    let sink = client.copy_in("COPY copy_reference FROM STDIN").await?;
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
