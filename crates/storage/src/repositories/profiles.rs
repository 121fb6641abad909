//! `ProfileRepository` on PostgreSQL: a user's profiles by name then id, with keyset cursors,
//! an escaped case-insensitive search on name and email, and optionally the deleted ones; and the
//! user's change feed, by change number (the index `(user_id, change_seq)`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use diesel_async::RunQueryDsl;
use pulse_domain::feed::MAX_CHANGES_PER_PAGE;
use pulse_domain::ports::{
    ChangePage, ChangeQuery, Page, ProfileChangeItem, ProfileQuery, ProfileRepository, StoreError,
    StoredProfile,
};
use pulse_domain::{ChangeCursor, ChangeKind};
use uuid::Uuid;

use crate::cursor;
use crate::error::StorageError;
use crate::schema::relationship_profiles as profiles;
use crate::store::PgStore;

/// The most profiles one list call returns.
pub const MAX_PROFILES_PER_PAGE: i64 = 1000;

/// A row of `relationship_profiles` as the API shows it.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = profiles, check_for_backend(diesel::pg::Pg))]
struct ProfileRow {
    id: Uuid,
    source_id: String,
    etag: Option<String>,
    display_name: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    primary_email: Option<String>,
    emails: serde_json::Value,
    phones: serde_json::Value,
    organization: Option<String>,
    title: Option<String>,
    photo_url: Option<String>,
    deleted_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
}

impl ProfileRow {
    fn into_domain(self) -> Result<StoredProfile, StorageError> {
        Ok(StoredProfile {
            id: self.id,
            source_id: self.source_id,
            display_name: self.display_name,
            given_name: self.given_name,
            family_name: self.family_name,
            primary_email: self.primary_email,
            emails: strings(self.emails, "emails")?,
            phones: strings(self.phones, "phones")?,
            organization: self.organization,
            title: self.title,
            photo_url: self.photo_url,
            etag: self.etag,
            deleted_at: self.deleted_at,
            updated_at: self.updated_at,
        })
    }
}

fn strings(value: serde_json::Value, column: &str) -> Result<Vec<String>, StorageError> {
    serde_json::from_value(value)
        .map_err(|error| StorageError::Corrupt(format!("profile {column}: {error}")))
}

/// A `LIKE` pattern matching `text` anywhere, with `%`, `_` and `\` in it taken literally.
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for character in text.chars() {
        if matches!(character, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(character);
    }
    pattern.push('%');
    pattern
}

/// The sort key of a profile: its display name, empty when it has none.
fn sort_name(display_name: Option<&str>) -> &str {
    display_name.unwrap_or("")
}

impl PgStore {
    async fn list_profile_rows(
        &self,
        query: &ProfileQuery,
    ) -> Result<Page<StoredProfile>, StorageError> {
        let limit = query.limit.clamp(1, MAX_PROFILES_PER_PAGE);
        let mut select = profiles::table
            .filter(profiles::user_id.eq(query.user_id.as_str()))
            .select(ProfileRow::as_select())
            .order((
                diesel::dsl::sql::<Text>("coalesce(display_name, '')"),
                profiles::id,
            ))
            .limit(limit + 1)
            .into_boxed();
        if !query.include_deleted {
            select = select.filter(profiles::deleted_at.is_null());
        }
        if let Some(search) = query
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let pattern = contains_pattern(search);
            select = select.filter(
                profiles::display_name
                    .ilike(pattern.clone())
                    .or(profiles::primary_email.ilike(pattern))
                    .assume_not_null(),
            );
        }
        if let Some(cursor) = query.cursor.as_deref() {
            let (name, id) = cursor::decode(cursor)?;
            select = select.filter(
                diesel::dsl::sql::<Bool>("(coalesce(display_name, ''), id) > (")
                    .bind::<Text, _>(name)
                    .sql(", ")
                    .bind::<diesel::sql_types::Uuid, _>(id)
                    .sql(")"),
            );
        }
        let mut connection = self.unit().await?;
        let mut rows = select.load(&mut *connection).await?;
        connection.commit().await?;
        let page_size = usize::try_from(limit).unwrap_or(usize::MAX);
        let more = rows.len() > page_size;
        rows.truncate(page_size);
        let next_cursor = more
            .then(|| {
                rows.last()
                    .map(|row| cursor::encode(sort_name(row.display_name.as_deref()), row.id))
            })
            .flatten();
        Ok(Page {
            items: rows
                .into_iter()
                .map(ProfileRow::into_domain)
                .collect::<Result<_, _>>()?,
            next_cursor,
        })
    }

    /// One statement, so one snapshot: writers number a workspace's changes in commit order (see
    /// `lock_job` in page_write.rs), so whatever a snapshot shows is a prefix of the feed and no
    /// later commit can add a change below the last one read.
    async fn profile_change_rows(&self, query: &ChangeQuery) -> Result<ChangePage, StorageError> {
        let limit = query.limit.clamp(1, MAX_CHANGES_PER_PAGE);
        let mut connection = self.unit().await?;
        let rows: Vec<(ProfileRow, i64, String)> = profiles::table
            .filter(profiles::user_id.eq(query.user_id.as_str()))
            .filter(profiles::change_seq.gt(query.after.seq()))
            .order(profiles::change_seq)
            .limit(limit)
            .select((
                ProfileRow::as_select(),
                profiles::change_seq,
                profiles::last_change,
            ))
            .load(&mut *connection)
            .await?;
        connection.commit().await?;
        let mut next = query.after;
        let mut items = Vec::with_capacity(rows.len());
        for (row, seq, change) in rows {
            next = ChangeCursor::after_seq(seq)
                .ok_or_else(|| StorageError::Corrupt(format!("change number {seq}")))?;
            items.push(ProfileChangeItem {
                change: ChangeKind::parse(&change)?,
                seq,
                profile: row.into_domain()?,
            });
        }
        Ok(ChangePage { items, next })
    }
}

impl ProfileRepository for PgStore {
    async fn list_profiles(&self, query: &ProfileQuery) -> Result<Page<StoredProfile>, StoreError> {
        Ok(self.list_profile_rows(query).await?)
    }

    async fn profile_changes(&self, query: &ChangeQuery) -> Result<ChangePage, StoreError> {
        Ok(self.profile_change_rows(query).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::contains_pattern;

    #[test]
    fn wildcards_in_the_search_are_literal() {
        assert_eq!(contains_pattern("ann"), "%ann%");
        assert_eq!(contains_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
