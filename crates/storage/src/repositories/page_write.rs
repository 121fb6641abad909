//! Applying one listed page in one transaction: classify the page's people against the stored
//! rows, follow renames, upsert every profile in one statement, mark deletions, and record the
//! job's progress, all fenced by the job's lease. A constant number of statements per page.
//!
//! The page's names are looked up one unique-index probe each (`unnest` + `LATERAL`): with
//! `source_id = ANY(...)` the planner, before statistics show the user as large (a first sync),
//! filtered every stored profile of the user on every page, which made a full sync quadratic.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Integer, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_domain::ports::PageWrite;
use pulse_domain::{JobCounts, JobLease, ProfileDraft};
use uuid::Uuid;

use crate::error::StorageError;
use crate::repositories::job_rows::{counts_changeset, fenced};
use crate::schema::google_contacts_sync_jobs as jobs;

const SELECT_EXISTING: &str = "
    SELECT p.id, p.source_id, p.etag, p.deleted_at
    FROM unnest($2::text[]) AS wanted(source_id)
    CROSS JOIN LATERAL (
        SELECT r.id, r.source_id, r.etag, r.deleted_at FROM relationship_profiles r
        WHERE r.user_id = $1 AND r.source = 'google' AND r.source_id = wanted.source_id
        OFFSET 0) p";

const RENAME: &str = "
    UPDATE relationship_profiles p SET source_id = renamed.source_id, updated_at = now()
    FROM unnest($1::uuid[], $2::text[]) AS renamed(id, source_id)
    WHERE p.id = renamed.id";

const UPSERT: &str = "
    INSERT INTO relationship_profiles AS p (
        user_id, source, source_id, etag, display_name, given_name, family_name, primary_email,
        emails, phones, organization, title, photo_url, last_seen_job_id, last_seen_attempt,
        deleted_at, created_at, updated_at)
    SELECT $1, 'google', d.source_id, d.etag, d.display_name, d.given_name, d.family_name,
           d.primary_email, d.emails::jsonb, d.phones::jsonb, d.organization, d.title,
           d.photo_url, $2, $3, NULL, now(), now()
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
        updated_at = CASE
            WHEN p.deleted_at IS NOT NULL OR p.etag IS DISTINCT FROM EXCLUDED.etag THEN now() ELSE p.updated_at END";

const MARK_DELETED_BY_SOURCE_ID: &str = "
    UPDATE relationship_profiles SET deleted_at = now(), updated_at = now()
    WHERE id IN (
        SELECT found.id
        FROM unnest($2::text[]) AS wanted(source_id)
        CROSS JOIN LATERAL (
            SELECT r.id FROM relationship_profiles r
            WHERE r.user_id = $1 AND r.source = 'google' AND r.source_id = wanted.source_id
            OFFSET 0) found)
      AND deleted_at IS NULL";

const MARK_DELETED_BY_ID: &str = "
    UPDATE relationship_profiles SET deleted_at = now(), updated_at = now()
    WHERE id = ANY($1) AND deleted_at IS NULL";

/// A stored profile the page may touch.
#[derive(Debug, QueryableByName)]
struct Existing {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    source_id: String,
    #[diesel(sql_type = Nullable<Text>)]
    etag: Option<String>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Timestamptz>)]
    deleted_at: Option<DateTime<Utc>>,
}

/// What the page does to the stored rows, worked out before writing.
#[derive(Debug, Default)]
struct Plan<'a> {
    /// One draft per source id, to upsert.
    drafts: Vec<&'a ProfileDraft>,
    /// Rows to rename: (row id, new source id).
    renames: Vec<(Uuid, String)>,
    /// Rows left over under an old name when the new name already had a row.
    merged_away: Vec<Uuid>,
    created: i64,
    updated: i64,
    unchanged: i64,
}

/// Applies one page inside the caller's transaction; returns the page's own counts.
pub(crate) async fn apply_page_in(
    connection: &mut AsyncPgConnection,
    lease: &JobLease,
    page: PageWrite<'_>,
) -> Result<JobCounts, StorageError> {
    lock_job(connection, lease).await?;
    let user = lease.user_id.as_str();
    let existing = load_existing(connection, user, page.profiles).await?;
    let plan = plan(page.profiles, existing);
    rename(connection, &plan.renames).await?;
    upsert(connection, lease, &plan.drafts).await?;
    let live_names: HashSet<&str> = plan.drafts.iter().map(|d| d.source_id.as_str()).collect();
    let deletions: Vec<&str> = page
        .deletions
        .iter()
        .chain(page.retired)
        .map(String::as_str)
        .filter(|name| !live_names.contains(name))
        .collect();
    let mut deleted = mark_deleted_by_source_id(connection, user, &deletions).await?;
    deleted += mark_deleted_by_id(connection, &plan.merged_away).await?;

    let synced = i64::try_from(page.profiles.len()).unwrap_or(i64::MAX);
    let reported_deletions = i64::try_from(page.deletions.len()).unwrap_or(i64::MAX);
    let duplicates = synced - plan.created - plan.updated - plan.unchanged;
    let page_counts = JobCounts {
        total_contacts: synced + page.skipped_no_identifier + reported_deletions,
        synced,
        created: plan.created,
        updated: plan.updated,
        unchanged: plan.unchanged + duplicates,
        deleted,
        skipped_no_identifier: page.skipped_no_identifier,
        reported_deletions,
    };
    let mut progress = page.counts_before;
    progress.add(&page_counts);
    record_progress(connection, lease, &progress).await?;
    Ok(page_counts)
}

/// Locks the job row for this attempt, so the rescuer cannot take it while the page is written;
/// `LeaseLost` when the attempt no longer holds the job.
pub(crate) async fn lock_job(
    connection: &mut AsyncPgConnection,
    lease: &JobLease,
) -> Result<(), StorageError> {
    jobs::table
        .filter(fenced(lease))
        .select(jobs::id)
        .for_update()
        .first::<Uuid>(connection)
        .await
        .optional()?
        .map(|_| ())
        .ok_or(StorageError::LeaseLost)
}

async fn load_existing(
    connection: &mut AsyncPgConnection,
    user: &str,
    drafts: &[ProfileDraft],
) -> Result<HashMap<String, Existing>, StorageError> {
    let names: Vec<&str> = drafts
        .iter()
        .flat_map(|d| std::iter::once(&d.source_id).chain(&d.previous_source_ids))
        .map(String::as_str)
        .collect();
    if names.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<Existing> = diesel::sql_query(SELECT_EXISTING)
        .bind::<Text, _>(user)
        .bind::<Array<Text>, _>(&names)
        .load(connection)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.source_id.clone(), row))
        .collect())
}

/// Classifies each draft (created, updated, unchanged) and decides the renames.
fn plan(drafts: &[ProfileDraft], mut existing: HashMap<String, Existing>) -> Plan<'_> {
    let mut plan = Plan::default();
    let mut position: HashMap<&str, usize> = HashMap::new();
    for draft in drafts {
        match position.get(draft.source_id.as_str()) {
            Some(&index) => plan.drafts[index] = draft,
            None => {
                position.insert(&draft.source_id, plan.drafts.len());
                plan.drafts.push(draft);
            }
        }
    }
    for draft in &plan.drafts {
        let mut current = existing.remove(&draft.source_id);
        for old_name in &draft.previous_source_ids {
            let Some(old) = existing.remove(old_name) else {
                continue;
            };
            if current.is_none() {
                plan.renames.push((old.id, draft.source_id.clone()));
                current = Some(old);
            } else if old.deleted_at.is_none() {
                plan.merged_away.push(old.id);
            }
        }
        match current {
            None => plan.created += 1,
            Some(row) if row.deleted_at.is_some() || row.etag != draft.etag => plan.updated += 1,
            Some(_) => plan.unchanged += 1,
        }
    }
    plan
}

async fn rename(
    connection: &mut AsyncPgConnection,
    renames: &[(Uuid, String)],
) -> Result<(), StorageError> {
    if renames.is_empty() {
        return Ok(());
    }
    let (ids, names): (Vec<Uuid>, Vec<&str>) = renames
        .iter()
        .map(|(id, name)| (*id, name.as_str()))
        .unzip();
    diesel::sql_query(RENAME)
        .bind::<Array<diesel::sql_types::Uuid>, _>(&ids)
        .bind::<Array<Text>, _>(&names)
        .execute(connection)
        .await?;
    Ok(())
}

/// The drafts as column arrays, for one `unnest` upsert.
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
}

impl<'a> Columns<'a> {
    fn of(drafts: &[&'a ProfileDraft]) -> Result<Self, StorageError> {
        let mut columns = Self::default();
        for draft in drafts {
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

async fn upsert(
    connection: &mut AsyncPgConnection,
    lease: &JobLease,
    drafts: &[&ProfileDraft],
) -> Result<(), StorageError> {
    if drafts.is_empty() {
        return Ok(());
    }
    let columns = Columns::of(drafts)?;
    diesel::sql_query(UPSERT)
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
        .execute(connection)
        .await?;
    Ok(())
}

async fn mark_deleted_by_source_id(
    connection: &mut AsyncPgConnection,
    user: &str,
    names: &[&str],
) -> Result<i64, StorageError> {
    if names.is_empty() {
        return Ok(0);
    }
    let marked = diesel::sql_query(MARK_DELETED_BY_SOURCE_ID)
        .bind::<Text, _>(user)
        .bind::<Array<Text>, _>(names)
        .execute(connection)
        .await?;
    Ok(i64::try_from(marked).unwrap_or(i64::MAX))
}

async fn mark_deleted_by_id(
    connection: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> Result<i64, StorageError> {
    if ids.is_empty() {
        return Ok(0);
    }
    let marked = diesel::sql_query(MARK_DELETED_BY_ID)
        .bind::<Array<diesel::sql_types::Uuid>, _>(ids)
        .execute(connection)
        .await?;
    Ok(i64::try_from(marked).unwrap_or(i64::MAX))
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
