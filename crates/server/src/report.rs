//! How the commands print things for people: a job's counts in the settings card's words, times,
//! and plain aligned tables.

use std::io::{self, Write};

use chrono::{DateTime, Utc};
use pulse_domain::{JobCounts, JobStatus, SyncJob};

/// A run's counts as the settings card shows them: "12 synced, 416 skipped (no identifier)",
/// with ", 3 deleted" when profiles were deleted.
pub fn describe_counts(counts: &JobCounts) -> String {
    let mut text = format!(
        "{} synced, {} skipped (no identifier)",
        counts.synced, counts.skipped_no_identifier
    );
    if counts.deleted > 0 {
        text.push_str(&format!(", {} deleted", counts.deleted));
    }
    text
}

/// A job's outcome in words: its counts, its error, or its progress.
pub fn describe_job(job: &SyncJob) -> String {
    match job.status {
        JobStatus::Completed => describe_counts(&job.counts),
        JobStatus::Failed => format!(
            "failed: {}",
            job.error.as_deref().unwrap_or("no reason recorded")
        ),
        JobStatus::Cancelled => "cancelled".to_owned(),
        JobStatus::Queued if job.attempt > 1 => {
            format!(
                "waiting to retry (attempt {}): {}",
                job.attempt,
                job.error.as_deref().unwrap_or("")
            )
        }
        JobStatus::Queued => "waiting for a worker".to_owned(),
        JobStatus::Running => format!("{} contacts fetched so far", job.fetched),
    }
}

/// A time as `2026-11-30 14:05 UTC`.
pub fn format_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Writes `rows` under `headers`, each column as wide as its widest cell, two spaces apart.
pub fn write_table(out: &mut impl Write, headers: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
    let mut widths: Vec<usize> = headers
        .iter()
        .map(|header| header.chars().count())
        .collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let header_cells: Vec<String> = headers.iter().map(|header| (*header).to_owned()).collect();
    write_row(out, &widths, &header_cells)?;
    for row in rows {
        write_row(out, &widths, row)?;
    }
    out.flush()
}

fn write_row(out: &mut impl Write, widths: &[usize], cells: &[String]) -> io::Result<()> {
    let last = cells.len().saturating_sub(1);
    let mut line = String::new();
    for (index, (cell, width)) in cells.iter().zip(widths).enumerate() {
        if index == last {
            line.push_str(cell);
        } else {
            let padding = width.saturating_sub(cell.chars().count()) + 2;
            line.push_str(cell);
            line.push_str(&" ".repeat(padding));
        }
    }
    writeln!(out, "{line}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_like_the_settings_card() {
        let counts = JobCounts {
            total_contacts: 428,
            synced: 12,
            created: 12,
            skipped_no_identifier: 416,
            ..JobCounts::default()
        };
        assert_eq!(
            describe_counts(&counts),
            "12 synced, 416 skipped (no identifier)"
        );
        let with_deletions = JobCounts {
            deleted: 3,
            ..counts
        };
        assert_eq!(
            describe_counts(&with_deletions),
            "12 synced, 416 skipped (no identifier), 3 deleted"
        );
    }

    #[test]
    fn tables_align_their_columns() {
        let mut out = Vec::new();
        let rows = vec![
            vec!["a".to_owned(), "longer".to_owned(), "x".to_owned()],
            vec!["bbbb".to_owned(), "c".to_owned(), "y".to_owned()],
        ];
        write_table(&mut out, &["ID", "NAME", "LAST"], &rows).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "ID    NAME    LAST\na     longer  x\nbbbb  c       y\n"
        );
    }

    #[test]
    fn times_are_minutes_in_utc() {
        let at = DateTime::parse_from_rfc3339("2026-11-30T14:05:59Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(format_time(at), "2026-11-30 14:05 UTC");
    }
}
