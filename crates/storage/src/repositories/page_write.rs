//! Applying one listed page in one transaction: read the stored rows under the page's names, let
//! the domain's `plan_page` decide what each profile is and which rows the page retires, then
//! write the plan (every profile and every retirement in one statement) and the job's progress,
//! all fenced by the job's lease. Four statements for a page (five when it renames someone); the
//! listing's last page is written inside the run's end, without the progress statement, and an
//! empty one costs only the job's lock there.
//!
//! Every row the page creates, changes, renames, restores or retires takes the next change number
//! (`change_seq`, the change feed's order) in the statement that writes it; a row only marked seen
//! keeps its number, as nothing a CRM reads changed. The first statement takes the workspace's
//! profile lock (`pulse_lock_profiles_of`) before the job row's lock and before any number, and
//! the transaction holds it to its commit: see `lock_job`.
//!
//! The page's names are looked up one unique-index probe each (`unnest` + `LATERAL`): with
//! `source_id = ANY(...)` the planner, before statistics show the user as large (a first sync),
//! filtered every stored profile of the user on every page, which made a full sync quadratic.
//! Every profile write goes through `WRITE_PAGE`, the one statement that writes profile rows
//! during a sync.

use diesel::prelude::*;
use diesel::sql_types::{Array, Bool, Integer, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_domain::ports::PageWrite;
use pulse_domain::sync::{PagePlan, ProfileChange, StoredName, names_to_look_up, plan_page};
use pulse_domain::{JobCounts, JobLease, JobStatus};
use uuid::Uuid;

use crate::error::StorageError;
use crate::prepared::Prepared;
use crate::repositories::job_rows::{counts_changeset, fenced};
use crate::schema::google_contacts_sync_jobs as jobs;

const SELECT_STORED: &str = "
    SELECT p.id, p.source_id, p.etag, p.deleted
    FROM unnest($2::text[]) AS wanted(source_id)
    CROSS JOIN LATERAL (
        SELECT r.id, r.source_id, r.etag, r.deleted_at IS NOT NULL AS deleted
        FROM relationship_profiles r
        WHERE r.user_id = $1 AND r.source = 'google' AND r.source_id = wanted.source_id
        OFFSET 0) p";

const RENAME: &str = "
    UPDATE relationship_profiles p SET source_id = renamed.source_id, updated_at = now(),
        change_seq = nextval('relationship_profile_change_seq'),
        last_change = CASE WHEN p.deleted_at IS NULL THEN 'updated' ELSE 'deleted' END
    FROM unnest($1::uuid[], $2::text[]) AS renamed(id, source_id)
    WHERE p.id = renamed.id";

/// Writes the plan's profiles and retirements: the created and updated profiles upserted by
/// name (the unique index decides, one probe a row, whatever the statistics), the unchanged ones
/// only marked seen by this attempt, the retired rows marked deleted. The three touch distinct
/// rows (the plan gives every stored row one fate). The times are the database's `now()`, the
/// transaction's start, so every row of a page carries the same instant. Upserted and retired rows
/// take the next change number (one per row: a conflicting row keeps the number its proposed row
/// took); a deleted row seen again is restored, which the feed reports as created.
const WRITE_PAGE: &str = "
    WITH upserted AS (
        INSERT INTO relationship_profiles AS p (
            user_id, source, source_id, etag, display_name, given_name, family_name,
            primary_email, emails, phones, organization, title, photo_url, last_seen_job_id,
            last_seen_attempt, deleted_at, created_at, updated_at, change_seq, last_change)
        SELECT $1, 'google', d.source_id, d.etag, d.display_name, d.given_name, d.family_name,
               d.primary_email, d.emails::jsonb, d.phones::jsonb, d.organization, d.title,
               d.photo_url, $2, $3, NULL, now(), now(),
               nextval('relationship_profile_change_seq'), 'created'
        FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                    $10::text[], $11::text[], $12::text[], $13::text[], $14::text[])
             AS d(source_id, etag, display_name, given_name, family_name, primary_email, emails,
                  phones, organization, title, photo_url)
        ON CONFLICT (user_id, source, source_id) DO UPDATE SET
            etag = EXCLUDED.etag,
            display_name = EXCLUDED.display_name,
            given_name = EXCLUDED.given_name,
            family_name = EXCLUDED.family_name,
            primary_email = EXCLUDED.primary_email,
            emails = EXCLUDED.emails,
            phones = EXCLUDED.phones,
            organization = EXCLUDED.organization,
            title = EXCLUDED.title,
            photo_url = EXCLUDED.photo_url,
            last_seen_job_id = EXCLUDED.last_seen_job_id,
            last_seen_attempt = EXCLUDED.last_seen_attempt,
            deleted_at = NULL,
            updated_at = now(),
            change_seq = EXCLUDED.change_seq,
            last_change = CASE WHEN p.deleted_at IS NULL THEN 'updated' ELSE 'created' END
        RETURNING 1),
    seen AS (
        UPDATE relationship_profiles SET last_seen_job_id = $2, last_seen_attempt = $3
        WHERE id = ANY($15::uuid[])
        RETURNING 1),
    retired AS (
        UPDATE relationship_profiles SET deleted_at = now(), updated_at = now(),
            change_seq = nextval('relationship_profile_change_seq'), last_change = 'deleted'
        WHERE id = ANY($16::uuid[]) AND deleted_at IS NULL
        RETURNING 1)
    SELECT 1";

/// A stored profile under one of the page's names.
#[derive(Debug, QueryableByName)]
struct StoredRow {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    source_id: String,
    #[diesel(sql_type = Nullable<Text>)]
    etag: Option<String>,
    #[diesel(sql_type = Bool)]
    deleted: bool,
}

impl From<StoredRow> for StoredName {
    fn from(row: StoredRow) -> Self {
        Self {
            id: row.id,
            source_id: row.source_id,
            etag: row.etag,
            deleted: row.deleted,
        }
    }
}

/// Applies one page and records the job's progress inside the caller's transaction; returns
/// the page's own counts (the plan's).
pub(crate) async fn apply_page_in(
    connection: &mut AsyncPgConnection,
    lease: &JobLease,
    page: PageWrite<'_>,
) -> Result<JobCounts, StorageError> {
    let counts = write_page_in(connection, lease, page).await?;
    let mut progress = page.counts_before;
    progress.add(&counts);
    record_progress(connection, lease, &progress).await?;
    Ok(counts)
}

/// Applies one page inside the caller's transaction without recording progress (the run's end
/// writes the job's counts after its last page); returns the page's own counts.
pub(crate) async fn write_page_in(
    connection: &mut AsyncPgConnection,
    lease: &JobLease,
    page: PageWrite<'_>,
) -> Result<JobCounts, StorageError> {
    lock_job(connection, lease).await?;
    let stored = load_stored(connection, lease.user_id.as_str(), &names_to_look_up(&page)).await?;
    let plan = plan_page(&page, stored);
    rename(connection, &plan).await?;
    write_page(connection, lease, &plan).await?;
    Ok(plan.counts)
}

/// What `lock_job` reads: whether the workspace lock is held (always, once the row is found).
#[derive(Debug, QueryableByName)]
struct LockedJob {
    #[diesel(sql_type = Bool)]
    locked: bool,
}

/// Takes the workspace's profile lock, then locks the job row for this attempt, so the rescuer
/// cannot take it while the page is written; `LeaseLost` when the attempt no longer holds the job.
///
/// One statement, the transaction's first: the lock function is evaluated in the scan, below the
/// node that locks the row, so the workspace lock always comes before the row lock (the order
/// every writer of profiles keeps: the workspace lock first, then the job, connection or
/// configuration rows), and before the page takes any change number. Held to the commit, it makes
/// the page's numbers come after those of every transaction of the workspace that committed
/// before, and before those of every one that commits after (see the change feed in docs/api.md).
pub(crate) async fn lock_job(
    connection: &mut AsyncPgConnection,
    lease: &JobLease,
) -> Result<(), StorageError> {
    Prepared::new("SELECT pulse_lock_profiles_of(")
        .bind::<Text, _>(lease.user_id.as_str())
        .sql(") AS locked FROM google_contacts_sync_jobs WHERE id = ")
        .bind::<diesel::sql_types::Uuid, _>(lease.job_id)
        .sql(" AND attempt = ")
        .bind::<Integer, _>(lease.attempt)
        .sql(" AND status = ")
        .bind::<Text, _>(JobStatus::Running.as_str())
        .sql(" FOR UPDATE")
        .get_result::<LockedJob>(connection)
        .await
        .optional()?
        .filter(|job| job.locked)
        .map(|_| ())
        .ok_or(StorageError::LeaseLost)
}

async fn load_stored(
    connection: &mut AsyncPgConnection,
    user: &str,
    names: &[&str],
) -> Result<Vec<StoredName>, StorageError> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<StoredRow> = diesel::sql_query(SELECT_STORED)
        .bind::<Text, _>(user)
        .bind::<Array<Text>, _>(names)
        .load(connection)
        .await?;
    Ok(rows.into_iter().map(StoredName::from).collect())
}

async fn rename(
    connection: &mut AsyncPgConnection,
    plan: &PagePlan<'_>,
) -> Result<(), StorageError> {
    if plan.renames.is_empty() {
        return Ok(());
    }
    let (ids, names): (Vec<Uuid>, Vec<&str>) =
        plan.renames.iter().map(|r| (r.id, r.source_id)).unzip();
    diesel::sql_query(RENAME)
        .bind::<Array<diesel::sql_types::Uuid>, _>(&ids)
        .bind::<Array<Text>, _>(&names)
        .execute(connection)
        .await?;
    Ok(())
}

/// The plan's writes as column arrays, for `WRITE_PAGE`.
#[derive(Debug, Default)]
struct Columns<'a> {
    source_id: Vec<&'a str>,
    etag: Vec<Option<&'a str>>,
    display_name: Vec<Option<&'a str>>,
    given_name: Vec<Option<&'a str>>,
    family_name: Vec<Option<&'a str>>,
    primary_email: Vec<Option<&'a str>>,
    emails: Vec<String>,
    phones: Vec<String>,
    organization: Vec<Option<&'a str>>,
    title: Vec<Option<&'a str>>,
    photo_url: Vec<Option<&'a str>>,
    seen: Vec<Uuid>,
}

impl<'a> Columns<'a> {
    fn of(plan: &PagePlan<'a>) -> Result<Self, StorageError> {
        let mut columns = Self::default();
        for write in &plan.writes {
            if let ProfileChange::Unchanged(id) = write.change {
                columns.seen.push(id);
                continue;
            }
            let draft = write.draft;
            columns.source_id.push(&draft.source_id);
            columns.etag.push(draft.etag.as_deref());
            columns.display_name.push(draft.display_name.as_deref());
            columns.given_name.push(draft.given_name.as_deref());
            columns.family_name.push(draft.family_name.as_deref());
            columns.primary_email.push(draft.primary_email.as_deref());
            columns.emails.push(json_array(&draft.emails)?);
            columns.phones.push(json_array(&draft.phones)?);
            columns.organization.push(draft.organization.as_deref());
            columns.title.push(draft.title.as_deref());
            columns.photo_url.push(draft.photo_url.as_deref());
        }
        Ok(columns)
    }
}

fn json_array(values: &[String]) -> Result<String, StorageError> {
    serde_json::to_string(values).map_err(|error| StorageError::Corrupt(error.to_string()))
}

async fn write_page(
    connection: &mut AsyncPgConnection,
    lease: &JobLease,
    plan: &PagePlan<'_>,
) -> Result<(), StorageError> {
    if plan.writes.is_empty() && plan.retire.is_empty() {
        return Ok(());
    }
    let columns = Columns::of(plan)?;
    diesel::sql_query(WRITE_PAGE)
        .bind::<Text, _>(lease.user_id.as_str())
        .bind::<diesel::sql_types::Uuid, _>(lease.job_id)
        .bind::<Integer, _>(lease.attempt)
        .bind::<Array<Text>, _>(&columns.source_id)
        .bind::<Array<Nullable<Text>>, _>(&columns.etag)
        .bind::<Array<Nullable<Text>>, _>(&columns.display_name)
        .bind::<Array<Nullable<Text>>, _>(&columns.given_name)
        .bind::<Array<Nullable<Text>>, _>(&columns.family_name)
        .bind::<Array<Nullable<Text>>, _>(&columns.primary_email)
        .bind::<Array<Text>, _>(&columns.emails)
        .bind::<Array<Text>, _>(&columns.phones)
        .bind::<Array<Nullable<Text>>, _>(&columns.organization)
        .bind::<Array<Nullable<Text>>, _>(&columns.title)
        .bind::<Array<Nullable<Text>>, _>(&columns.photo_url)
        .bind::<Array<diesel::sql_types::Uuid>, _>(&columns.seen)
        .bind::<Array<diesel::sql_types::Uuid>, _>(&plan.retire)
        .execute(connection)
        .await?;
    Ok(())
}

async fn record_progress(
    connection: &mut AsyncPgConnection,
    lease: &JobLease,
    progress: &JobCounts,
) -> Result<(), StorageError> {
    let recorded = diesel::update(jobs::table)
        .filter(fenced(lease))
        .set(counts_changeset(progress))
        .execute(connection)
        .await?;
    if recorded == 1 {
        Ok(())
    } else {
        Err(StorageError::LeaseLost)
    }
}
