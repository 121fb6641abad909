//! Progress of a foreground sync on standard error: a live bar on a terminal, one plain line per
//! page otherwise (logs, pipes, CI).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use pulse_domain::JobCounts;
use pulse_domain::sync::SyncProgress;

use crate::report::describe_counts;

/// The bar's layout.
const BAR_TEMPLATE: &str = "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} contacts  {msg}";

/// Where a foreground sync reports its pages.
pub enum Progress {
    /// A bar redrawn in place (standard error is a terminal).
    Bar(ProgressBar),
    /// A line per page.
    Lines,
}

impl Progress {
    /// A bar when standard error is a terminal, else plain lines.
    pub fn for_stderr() -> Self {
        if !std::io::stderr().is_terminal() {
            return Self::Lines;
        }
        let bar = ProgressBar::no_length();
        if let Ok(style) = ProgressStyle::with_template(BAR_TEMPLATE) {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        bar.set_message("connecting to Google…");
        Self::Bar(bar)
    }

    /// Removes the bar (the final counts are printed after it).
    pub fn finish(&self) {
        if let Self::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}

impl SyncProgress for Progress {
    fn on_page(&self, counts: &JobCounts, total_hint: Option<i64>) {
        let done = u64::try_from(counts.total_contacts).unwrap_or(0);
        let total = total_hint.and_then(|total| u64::try_from(total).ok());
        match self {
            Self::Bar(bar) => {
                if let Some(total) = total {
                    bar.set_length(total.max(done));
                }
                bar.set_position(done);
                bar.set_message(describe_counts(counts));
            }
            Self::Lines => match total {
                Some(total) => eprintln!("{done} of {total} contacts: {}", describe_counts(counts)),
                None => eprintln!("{done} contacts: {}", describe_counts(counts)),
            },
        }
    }
}
