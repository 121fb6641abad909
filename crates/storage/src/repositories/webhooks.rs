//! `WebhookStore` and `WebhookOutbox` on PostgreSQL, and the outbox write a run's end makes in
//! its own transaction ([`write_events_in`]): one statement that numbers the events in their
//! workspace, stores them and creates one delivery per subscribed endpoint, and writes nothing
//! when no endpoint subscribed.
//!
//! A claim moves a delivery's `next_attempt_at` to the end of its lease and counts the attempt
//! (`FOR UPDATE SKIP LOCKED`, so replicas share the work); the attempt's record is fenced on that
//! count, so a late worker whose lease ran out writes nothing. Each endpoint keeps its latest
//! [`KEPT_ATTEMPTS`] attempts; events whose deliveries are done are pruned by age.

use chrono::{DateTime, TimeDelta, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{
    Array, BigInt, Bytea, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_domain::ports::{
    AttemptOutcome, AttemptRecord, DeliveryAttempt, DueDelivery, NewEndpoint, StoreError,
    WebhookEndpoint, WebhookOutbox, WebhookStore,
};
use pulse_domain::webhook::{EventDraft, EventKind};
use pulse_domain::{ChangeCursor, UserId};
use uuid::Uuid;

use crate::crypto::{KeyRing, SealedSecret};
use crate::error::StorageError;
use crate::store::PgStore;

/// Attempts kept per endpoint for `GET .../webhooks/deliveries`.
pub const KEPT_ATTEMPTS: i64 = 100;

/// The scope key of an endpoint: its workspace, or `''` for every workspace.
fn scope_key(workspace: Option<&UserId>) -> &str {
    workspace.map_or("", UserId::as_str)
}

/// The associated data that binds a sealed signing secret to its column and scope.
pub(crate) fn webhook_secret_context(scope: &str) -> String {
    format!("webhook_endpoints.secret:{scope}")
}

/// The events of a run's end, for the workspace `$1`, written at `$5`: only those an endpoint
/// of the workspace or of every workspace subscribed to, numbered after the workspace's last
/// sequence, each with one delivery per subscribed endpoint, due at once. A `sync.completed`
/// among them moves the workspace's reported change-feed position to `$6`. The endpoints are
/// key-share locked, so one deleted since the statement's snapshot gets no delivery instead of
/// failing the end's transaction on the deliveries' foreign key.
const WRITE_EVENTS: &str = "
    WITH drafted AS (
        SELECT d.id, d.type, d.data::jsonb AS data, d.ord
        FROM unnest($2::uuid[], $3::text[], $4::text[]) WITH ORDINALITY AS d(id, type, data, ord)
        WHERE EXISTS (
            SELECT 1 FROM webhook_endpoints w
            WHERE coalesce(w.user_id, '') IN ($1, '') AND d.type = ANY (w.events))
    ),
    numbered AS (
        INSERT INTO webhook_sequences AS s (user_id, last_sequence, changes_until)
        SELECT $1, count(*), coalesce(max($6::bigint) FILTER (WHERE type = 'sync.completed'), 0)
        FROM drafted HAVING count(*) > 0
        ON CONFLICT (user_id) DO UPDATE SET
            last_sequence = s.last_sequence + EXCLUDED.last_sequence,
            changes_until = greatest(s.changes_until, EXCLUDED.changes_until)
        RETURNING s.last_sequence
    ),
    events AS (
        INSERT INTO webhook_events (id, user_id, sequence, type, data, created_at)
        SELECT d.id, $1,
               n.last_sequence - (SELECT count(*) FROM drafted) + row_number() OVER (ORDER BY d.ord),
               d.type, d.data, $5
        FROM drafted d CROSS JOIN numbered n
        RETURNING id, type
    )
    INSERT INTO webhook_deliveries (event_id, endpoint_id, next_attempt_at)
    SELECT e.id, w.id, $5
    FROM events e
    JOIN webhook_endpoints w ON coalesce(w.user_id, '') IN ($1, '') AND e.type = ANY (w.events)
    FOR KEY SHARE OF w";

/// Writes a run's end's events into the outbox, inside the end's transaction (one statement);
/// `changes_until` is the change-feed position a `sync.completed` among them reports up to.
/// Returns the number of deliveries it created (0 when no endpoint subscribed).
pub(crate) async fn write_events_in(
    connection: &mut AsyncPgConnection,
    workspace: &UserId,
    events: &[EventDraft],
    changes_until: Option<i64>,
    now: DateTime<Utc>,
) -> Result<usize, StorageError> {
    if events.is_empty() {
        return Ok(0);
    }
    let ids: Vec<Uuid> = events.iter().map(|_| Uuid::new_v4()).collect();
    let types: Vec<&str> = events.iter().map(|event| event.kind.as_str()).collect();
    let data = events
        .iter()
        .map(|event| serde_json::to_string(&event.data))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| StorageError::Corrupt(format!("event data: {error}")))?;
    Ok(diesel::sql_query(WRITE_EVENTS)
        .bind::<Text, _>(workspace.as_str())
        .bind::<Array<SqlUuid>, _>(&ids)
        .bind::<Array<Text>, _>(&types)
        .bind::<Array<Text>, _>(&data)
        .bind::<Timestamptz, _>(now)
        .bind::<Nullable<BigInt>, _>(changes_until)
        .execute(connection)
        .await?)
}

/// A claimed delivery as the deliverer sends it, its signing secret opened.
fn decode_claimed(keys: &KeyRing, row: ClaimedRow) -> Result<DueDelivery, StorageError> {
    let sealed = SealedSecret {
        ciphertext: row.secret_ciphertext,
        nonce: row.secret_nonce,
        key_id: row.secret_key_id,
    };
    Ok(DueDelivery {
        delivery_id: row.delivery_id,
        attempt: row.attempt,
        event_id: row.event_id,
        event_type: EventKind::parse(&row.event_type)?,
        workspace: UserId::parse(&row.workspace)?,
        sequence: row.sequence,
        event_created_at: row.event_created_at,
        data_json: row.data_json,
        endpoint_id: row.endpoint_id,
        url: row.url,
        secret: keys.open(&sealed, &webhook_secret_context(&row.scope))?,
    })
}

/// The workspace's change-feed position its last `sync.completed` reported up to (0 before the
/// first), and its position now. Without the workspace's profile lock the second is still a
/// prefix of the feed: a writer that holds the lock numbers its changes after every committed one.
const CHANGE_RANGE: &str = "
    SELECT coalesce((SELECT changes_until FROM webhook_sequences WHERE user_id = $1), 0) AS after,
           coalesce((SELECT max(change_seq) FROM relationship_profiles WHERE user_id = $1), 0)
               AS until";

#[derive(QueryableByName)]
struct ChangeRangeRow {
    #[diesel(sql_type = BigInt)]
    after: i64,
    #[diesel(sql_type = BigInt)]
    until: i64,
}

/// The change-feed range a `sync.completed` of `workspace` reports, read inside the run's end
/// after its profile writes: from where the previous one stopped to the position now.
pub(crate) async fn change_range_in(
    connection: &mut AsyncPgConnection,
    workspace: &UserId,
) -> Result<(ChangeCursor, ChangeCursor), StorageError> {
    let row: ChangeRangeRow = diesel::sql_query(CHANGE_RANGE)
        .bind::<Text, _>(workspace.as_str())
        .get_result(connection)
        .await?;
    let cursor = |seq: i64| {
        ChangeCursor::after_seq(seq)
            .ok_or_else(|| StorageError::Corrupt(format!("negative change number {seq}")))
    };
    Ok((cursor(row.after.min(row.until))?, cursor(row.until)?))
}

/// The scope's endpoint set anew, or replaced in place (its id and creation time stay).
const PUT_ENDPOINT: &str = "
    INSERT INTO webhook_endpoints AS w
        (id, user_id, url, events, secret_ciphertext, secret_nonce, secret_key_id, created_at,
         updated_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
    ON CONFLICT ((coalesce(user_id, ''))) DO UPDATE SET
        url = EXCLUDED.url, events = EXCLUDED.events,
        secret_ciphertext = EXCLUDED.secret_ciphertext, secret_nonce = EXCLUDED.secret_nonce,
        secret_key_id = EXCLUDED.secret_key_id, updated_at = EXCLUDED.updated_at
    RETURNING id, user_id, url, events, created_at, updated_at";

const FIND_ENDPOINT: &str = "
    SELECT id, user_id, url, events, created_at, updated_at
    FROM webhook_endpoints WHERE coalesce(user_id, '') = $1";

const DELETE_ENDPOINT: &str = "DELETE FROM webhook_endpoints WHERE coalesce(user_id, '') = $1";

const RECENT_ATTEMPTS: &str = "
    SELECT e.id AS event_id, e.type AS event_type, e.user_id AS workspace, a.attempt,
           a.attempted_at, a.status_code, a.latency_ms, a.error, a.next_attempt_at
    FROM webhook_delivery_attempts a
    JOIN webhook_endpoints w ON w.id = a.endpoint_id
    JOIN webhook_deliveries d ON d.id = a.delivery_id
    JOIN webhook_events e ON e.id = d.event_id
    WHERE coalesce(w.user_id, '') = $1
    ORDER BY a.id DESC
    LIMIT $2";

/// Claims due deliveries: counts the attempt and moves the next one to the lease's end (`$2`).
const CLAIM_DELIVERIES: &str = "
    WITH claimed AS (
        UPDATE webhook_deliveries d SET attempts = d.attempts + 1, next_attempt_at = $2
        WHERE d.id IN (
            SELECT id FROM webhook_deliveries
            WHERE next_attempt_at <= $1
            ORDER BY next_attempt_at, id
            LIMIT $3
            FOR UPDATE SKIP LOCKED)
        RETURNING d.id, d.attempts, d.event_id, d.endpoint_id
    )
    SELECT c.id AS delivery_id, c.attempts AS attempt, e.id AS event_id, e.type AS event_type,
           e.user_id AS workspace, e.sequence, e.created_at AS event_created_at,
           e.data::text AS data_json, w.id AS endpoint_id, w.url,
           coalesce(w.user_id, '') AS scope, w.secret_ciphertext, w.secret_nonce, w.secret_key_id
    FROM claimed c
    JOIN webhook_events e ON e.id = c.event_id
    JOIN webhook_endpoints w ON w.id = c.endpoint_id
    ORDER BY e.user_id, e.sequence";

/// Records an attempt of delivery `$1` fenced on its attempt count `$2`, logs it, and prunes
/// the endpoint's log to the latest attempts; returns 1 when recorded.
const RECORD_ATTEMPT: &str = "
    WITH updated AS (
        UPDATE webhook_deliveries
        SET next_attempt_at = $3, delivered_at = $4, gave_up_at = $5, last_status_code = $6,
            last_latency_ms = $7, last_error = $8
        WHERE id = $1 AND attempts = $2
        RETURNING id, endpoint_id
    ),
    logged AS (
        INSERT INTO webhook_delivery_attempts
            (delivery_id, endpoint_id, attempt, attempted_at, status_code, latency_ms, error,
             next_attempt_at)
        SELECT id, endpoint_id, $2, $9, $6, $7, $8, $3 FROM updated
        RETURNING endpoint_id
    ),
    pruned AS (
        DELETE FROM webhook_delivery_attempts a
        WHERE a.endpoint_id IN (SELECT endpoint_id FROM updated)
          AND a.id <= (
              SELECT old.id FROM webhook_delivery_attempts old
              WHERE old.endpoint_id IN (SELECT endpoint_id FROM updated)
              ORDER BY old.id DESC OFFSET $10 LIMIT 1)
        RETURNING 1
    )
    SELECT count(*) AS recorded FROM updated";

/// Old events none of whose deliveries is still due (`next_attempt_at` is NULL once delivered or
/// given up), oldest first.
const PRUNE_EVENTS: &str = "
    DELETE FROM webhook_events WHERE id IN (
        SELECT e.id FROM webhook_events e
        WHERE e.created_at < $1
          AND NOT EXISTS (
              SELECT 1 FROM webhook_deliveries d
              WHERE d.event_id = e.id AND d.next_attempt_at IS NOT NULL)
        ORDER BY e.created_at
        LIMIT $2)";

const EARLIEST_DELIVERY: &str = "
    SELECT min(next_attempt_at) AS at FROM webhook_deliveries WHERE next_attempt_at IS NOT NULL";

#[derive(QueryableByName)]
struct EndpointRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Nullable<Text>)]
    user_id: Option<String>,
    #[diesel(sql_type = Text)]
    url: String,
    #[diesel(sql_type = Array<Text>)]
    events: Vec<String>,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    updated_at: DateTime<Utc>,
}

impl EndpointRow {
    fn into_domain(self) -> Result<WebhookEndpoint, StorageError> {
        Ok(WebhookEndpoint {
            id: self.id,
            workspace: self.user_id.as_deref().map(UserId::parse).transpose()?,
            url: self.url,
            events: self
                .events
                .iter()
                .map(|name| EventKind::parse(name))
                .collect::<Result<_, _>>()?,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

#[derive(QueryableByName)]
struct AttemptRow {
    #[diesel(sql_type = SqlUuid)]
    event_id: Uuid,
    #[diesel(sql_type = Text)]
    event_type: String,
    #[diesel(sql_type = Text)]
    workspace: String,
    #[diesel(sql_type = Integer)]
    attempt: i32,
    #[diesel(sql_type = Timestamptz)]
    attempted_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Integer>)]
    status_code: Option<i32>,
    #[diesel(sql_type = BigInt)]
    latency_ms: i64,
    #[diesel(sql_type = Nullable<Text>)]
    error: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    next_attempt_at: Option<DateTime<Utc>>,
}

#[derive(QueryableByName)]
struct ClaimedRow {
    #[diesel(sql_type = BigInt)]
    delivery_id: i64,
    #[diesel(sql_type = Integer)]
    attempt: i32,
    #[diesel(sql_type = SqlUuid)]
    event_id: Uuid,
    #[diesel(sql_type = Text)]
    event_type: String,
    #[diesel(sql_type = Text)]
    workspace: String,
    #[diesel(sql_type = BigInt)]
    sequence: i64,
    #[diesel(sql_type = Timestamptz)]
    event_created_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    data_json: String,
    #[diesel(sql_type = SqlUuid)]
    endpoint_id: Uuid,
    #[diesel(sql_type = Text)]
    url: String,
    #[diesel(sql_type = Text)]
    scope: String,
    #[diesel(sql_type = Bytea)]
    secret_ciphertext: Vec<u8>,
    #[diesel(sql_type = Bytea)]
    secret_nonce: Vec<u8>,
    #[diesel(sql_type = Text)]
    secret_key_id: String,
}

#[derive(QueryableByName)]
struct Recorded {
    #[diesel(sql_type = BigInt)]
    recorded: i64,
}

#[derive(QueryableByName)]
struct Earliest {
    #[diesel(sql_type = Nullable<Timestamptz>)]
    at: Option<DateTime<Utc>>,
}

impl PgStore {
    async fn put_endpoint_row(
        &self,
        endpoint: NewEndpoint<'_>,
        now: DateTime<Utc>,
    ) -> Result<WebhookEndpoint, StorageError> {
        let scope = scope_key(endpoint.workspace);
        let sealed = self
            .keys()
            .seal(endpoint.secret, &webhook_secret_context(scope))?;
        let events: Vec<&str> = endpoint.events.iter().map(|kind| kind.as_str()).collect();
        let mut connection = self.unit().await?;
        let row: EndpointRow = diesel::sql_query(PUT_ENDPOINT)
            .bind::<SqlUuid, _>(Uuid::new_v4())
            .bind::<Nullable<Text>, _>(endpoint.workspace.map(UserId::as_str))
            .bind::<Text, _>(endpoint.url)
            .bind::<Array<Text>, _>(&events)
            .bind::<Bytea, _>(&sealed.ciphertext)
            .bind::<Bytea, _>(&sealed.nonce)
            .bind::<Text, _>(&sealed.key_id)
            .bind::<Timestamptz, _>(now)
            .get_result(&mut *connection)
            .await?;
        connection.commit().await?;
        row.into_domain()
    }

    async fn find_endpoint_row(
        &self,
        workspace: Option<&UserId>,
    ) -> Result<Option<WebhookEndpoint>, StorageError> {
        let mut connection = self.unit().await?;
        let row: Option<EndpointRow> = diesel::sql_query(FIND_ENDPOINT)
            .bind::<Text, _>(scope_key(workspace))
            .get_result(&mut *connection)
            .await
            .map(Some)
            .or_else(not_found_is_none)?;
        connection.commit().await?;
        row.map(EndpointRow::into_domain).transpose()
    }

    async fn delete_endpoint_row(&self, workspace: Option<&UserId>) -> Result<bool, StorageError> {
        let mut connection = self.unit().await?;
        let deleted = diesel::sql_query(DELETE_ENDPOINT)
            .bind::<Text, _>(scope_key(workspace))
            .execute(&mut *connection)
            .await?;
        connection.commit().await?;
        Ok(deleted > 0)
    }

    async fn recent_attempt_rows(
        &self,
        workspace: Option<&UserId>,
        limit: i64,
    ) -> Result<Vec<DeliveryAttempt>, StorageError> {
        let mut connection = self.unit().await?;
        let rows: Vec<AttemptRow> = diesel::sql_query(RECENT_ATTEMPTS)
            .bind::<Text, _>(scope_key(workspace))
            .bind::<BigInt, _>(limit)
            .load(&mut *connection)
            .await?;
        connection.commit().await?;
        rows.into_iter()
            .map(|row| {
                Ok(DeliveryAttempt {
                    event_id: row.event_id,
                    event_type: EventKind::parse(&row.event_type)?,
                    workspace: UserId::parse(&row.workspace)?,
                    attempt: row.attempt,
                    attempted_at: row.attempted_at,
                    status_code: row.status_code,
                    latency_ms: row.latency_ms,
                    error: row.error,
                    next_attempt_at: row.next_attempt_at,
                })
            })
            .collect()
    }

    async fn claim_delivery_rows(
        &self,
        now: DateTime<Utc>,
        lease: TimeDelta,
        limit: i64,
    ) -> Result<Vec<DueDelivery>, StorageError> {
        let mut connection = self.unit().await?;
        let rows: Vec<ClaimedRow> = diesel::sql_query(CLAIM_DELIVERIES)
            .bind::<Timestamptz, _>(now)
            .bind::<Timestamptz, _>(now + lease)
            .bind::<BigInt, _>(limit)
            .load(&mut *connection)
            .await?;
        connection.commit().await?;
        let keys = self.keys();
        // One row this replica cannot read (a secret under a key it does not hold yet, an event
        // type of a newer version) must not hold back the others: it is logged and left to its
        // lease, for a replica that can.
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let (delivery, event) = (row.delivery_id, row.event_id);
                decode_claimed(keys, row)
                    .inspect_err(|error| {
                        tracing::warn!(%error, delivery, %event, "cannot read a claimed webhook delivery; leaving it to its lease");
                    })
                    .ok()
            })
            .collect())
    }

    async fn record_attempt_row(
        &self,
        delivery: &DueDelivery,
        record: &AttemptRecord,
    ) -> Result<bool, StorageError> {
        let (next, delivered_at, gave_up_at) = match record.outcome {
            AttemptOutcome::Delivered => (None, Some(record.attempted_at), None),
            AttemptOutcome::RetryAt(at) => (Some(at), None, None),
            AttemptOutcome::GaveUp => (None, None, Some(record.attempted_at)),
        };
        let mut connection = self.unit().await?;
        let recorded: Recorded = diesel::sql_query(RECORD_ATTEMPT)
            .bind::<BigInt, _>(delivery.delivery_id)
            .bind::<Integer, _>(delivery.attempt)
            .bind::<Nullable<Timestamptz>, _>(next)
            .bind::<Nullable<Timestamptz>, _>(delivered_at)
            .bind::<Nullable<Timestamptz>, _>(gave_up_at)
            .bind::<Nullable<Integer>, _>(record.status_code)
            .bind::<BigInt, _>(record.latency_ms)
            .bind::<Nullable<Text>, _>(record.error.as_deref())
            .bind::<Timestamptz, _>(record.attempted_at)
            .bind::<BigInt, _>(KEPT_ATTEMPTS)
            .get_result(&mut *connection)
            .await?;
        connection.commit().await?;
        Ok(recorded.recorded > 0)
    }

    async fn prune_event_rows(
        &self,
        before: DateTime<Utc>,
        limit: i64,
    ) -> Result<u64, StorageError> {
        let mut connection = self.unit().await?;
        let pruned = diesel::sql_query(PRUNE_EVENTS)
            .bind::<Timestamptz, _>(before)
            .bind::<BigInt, _>(limit)
            .execute(&mut *connection)
            .await?;
        connection.commit().await?;
        Ok(pruned as u64)
    }

    async fn earliest_delivery_row(&self) -> Result<Option<DateTime<Utc>>, StorageError> {
        let mut connection = self.unit().await?;
        let earliest: Earliest = diesel::sql_query(EARLIEST_DELIVERY)
            .get_result(&mut *connection)
            .await?;
        connection.commit().await?;
        Ok(earliest.at)
    }
}

fn not_found_is_none<T>(error: diesel::result::Error) -> Result<Option<T>, diesel::result::Error> {
    match error {
        diesel::result::Error::NotFound => Ok(None),
        other => Err(other),
    }
}

impl WebhookStore for PgStore {
    async fn put_endpoint(
        &self,
        endpoint: NewEndpoint<'_>,
        now: DateTime<Utc>,
    ) -> Result<WebhookEndpoint, StoreError> {
        Ok(self.put_endpoint_row(endpoint, now).await?)
    }

    async fn find_endpoint(
        &self,
        workspace: Option<&UserId>,
    ) -> Result<Option<WebhookEndpoint>, StoreError> {
        Ok(self.find_endpoint_row(workspace).await?)
    }

    async fn delete_endpoint(&self, workspace: Option<&UserId>) -> Result<bool, StoreError> {
        Ok(self.delete_endpoint_row(workspace).await?)
    }

    async fn recent_attempts(
        &self,
        workspace: Option<&UserId>,
        limit: i64,
    ) -> Result<Vec<DeliveryAttempt>, StoreError> {
        Ok(self.recent_attempt_rows(workspace, limit).await?)
    }
}

impl WebhookOutbox for PgStore {
    async fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease: TimeDelta,
        limit: i64,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        Ok(self.claim_delivery_rows(now, lease, limit).await?)
    }

    async fn record_attempt(
        &self,
        delivery: &DueDelivery,
        record: &AttemptRecord,
    ) -> Result<bool, StoreError> {
        Ok(self.record_attempt_row(delivery, record).await?)
    }

    async fn prune_events(&self, before: DateTime<Utc>, limit: i64) -> Result<u64, StoreError> {
        Ok(self.prune_event_rows(before, limit).await?)
    }

    async fn earliest_delivery_at(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(self.earliest_delivery_row().await?)
    }
}
