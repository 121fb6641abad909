//! The span of a job's run: every line the run logs (the engine's as well as the scheduler's)
//! names the user, the job and the attempt once, through the `job` span, not field by field.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use pulse_domain::ports::SystemClock;
use pulse_domain::sync::SyncSettings;
use pulse_google::fake::generated_account;
use pulse_scheduler::{ForegroundRun, run_job_now};
use support::harness::{Harness, fast_config};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::fmt::MakeWriter;

/// Log output kept in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Self;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_line_of_a_run_names_its_user_job_and_attempt_through_the_span() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_ansi(false)
        .finish();
    let _default = tracing::subscriber::set_global_default(subscriber);

    let harness = Harness::start().await;
    let store = harness.store();
    let engine = harness.engine_over(store.clone(), SyncSettings::default());
    let user = harness.connect("span-user", generated_account(3, 7)).await;
    let run = run_job_now(
        &store,
        &engine,
        &SystemClock,
        &user,
        &fast_config("span"),
        &(),
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    let ForegroundRun::Ran { job_id, .. } = run else {
        panic!("expected the job to run here, got {run:?}");
    };

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let prefix = format!("job{{user=span-user job={job_id} attempt=1");
    let lines: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("sync started") || line.contains("job finished"))
        .collect();
    assert_eq!(lines.len(), 2, "one start and one end line:\n{text}");
    for line in lines {
        assert!(line.contains(&prefix), "{line}");
        assert_eq!(line.matches(&job_id.to_string()).count(), 1, "{line}");
    }
}
