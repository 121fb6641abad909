//! Load: wrk (Debian's package) holds a steady load on the API over loopback for 60 s, bounded in
//! time and connections, while the scheduler runs a large round (300 users, 120,000 contacts,
//! each page of Google's answers taking 150 ms).
//! No request may fail (no socket error, no timeout, no non-2xx answer); the latency
//! percentiles are printed and written to `tests/artifacts/load.json`. The round then completes
//! with every job final and the profiles equal to Google's.
//!
//! It runs only with `PULSE_LOAD_TEST=1` (`.ci/run` sets it when the CI time budget allows);
//! `PULSE_LOAD_SECONDS` changes the duration.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use pulse_google::fake::{FakeOptions, Fault, generated_account};
use pulse_tests::cli::create_api_key;
use pulse_tests::{API, Deployment, ServerProcess, eventually_within, with_workspace};
use serde_json::json;

const USERS: usize = 300;
const CONTACTS: u32 = 400;
/// Google's answer time for every page of the round, so the round lasts through the load.
const PAGE_LATENCY_MS: u64 = 150;
const CONNECTIONS: &str = "16";
const THREADS: &str = "2";

/// What wrk's `done` callback reports, in microseconds and counts.
#[derive(Debug, Default)]
struct LoadReport {
    p50: u64,
    p90: u64,
    p99: u64,
    max: u64,
    requests: u64,
    connect_errors: u64,
    read_errors: u64,
    write_errors: u64,
    timeouts: u64,
    non_2xx: u64,
}

fn parse_report(stdout: &str) -> LoadReport {
    let line = stdout
        .lines()
        .find(|line| line.starts_with("LOAD "))
        .unwrap_or_else(|| panic!("no LOAD line in wrk's output:\n{stdout}"));
    let mut report = LoadReport::default();
    for pair in line.trim_start_matches("LOAD ").split_whitespace() {
        let (name, value) = pair.split_once('=').expect("name=value");
        let value: u64 = value.parse().expect("a number");
        match name {
            "p50" => report.p50 = value,
            "p90" => report.p90 = value,
            "p99" => report.p99 = value,
            "max" => report.max = value,
            "requests" => report.requests = value,
            "connect" => report.connect_errors = value,
            "read" => report.read_errors = value,
            "write" => report.write_errors = value,
            "timeout" => report.timeouts = value,
            "status" => report.non_2xx = value,
            _ => {}
        }
    }
    report
}

fn script(paths: &[String], key: &str) -> String {
    let list = paths
        .iter()
        .map(|path| format!("\"{path}\""))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        r#"local paths = {{ {list} }}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n % #paths) + 1], {{ ["Authorization"] = "Bearer {key}" }})
end
done = function(summary, latency, requests)
  io.write(string.format(
    "LOAD p50=%d p90=%d p99=%d max=%d requests=%d connect=%d read=%d write=%d timeout=%d status=%d\n",
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    summary.requests, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.timeout, summary.errors.status))
end
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_holds_a_steady_load_while_a_large_round_runs() {
    if std::env::var("PULSE_LOAD_TEST").map_or(true, |value| value != "1") {
        eprintln!("skipped: set PULSE_LOAD_TEST=1 to run the 60 s load test (needs wrk)");
        return;
    }
    let seconds: u64 = std::env::var("PULSE_LOAD_SECONDS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(60);
    let deployment = Deployment::start(FakeOptions {
        accounts: Vec::new(),
        page_size_cap: 100,
        ..FakeOptions::default()
    })
    .await;
    let users: Vec<String> = (0..USERS).map(|n| format!("load-user-{n:03}")).collect();
    for (seed, user) in (1_u64..).zip(&users) {
        deployment
            .connect(user, generated_account(CONTACTS, 0x10AD_0000 + seed))
            .await;
    }
    let config = deployment.server_config();
    let key = create_api_key(&config, &users[0]).await;
    let server = ServerProcess::serve("server", &config).await;
    let api = pulse_tests::ApiClient::new(server.base_url());
    pulse_tests::tenants::sync_once(&api, &users[0], &key).await;

    let paths = vec![
        with_workspace(&format!("{API}/auto-sync/config"), &users[0]),
        format!(
            "{}&limit=50",
            with_workspace(&format!("{API}/google-contacts/profiles"), &users[0])
        ),
        format!(
            "{}&limit=20",
            with_workspace(&format!("{API}/google-contacts/sync/jobs"), &users[0])
        ),
    ];
    let artifacts = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("artifacts");
    std::fs::create_dir_all(&artifacts).expect("the artifacts directory");
    let script_path = artifacts.join("load.lua");
    std::fs::write(&script_path, script(&paths, &key)).expect("the wrk script");

    deployment.google.inject_fault(
        Fault::Slow {
            millis: PAGE_LATENCY_MS,
        },
        u32::MAX,
    );
    deployment.make_due(&users).await;
    let started = Instant::now();
    let mut wrk = tokio::process::Command::new("wrk");
    wrk.args([
        "-t",
        THREADS,
        "-c",
        CONNECTIONS,
        "-d",
        &format!("{seconds}s"),
    ])
    .args(["--timeout", "10s", "--latency", "-s"])
    .arg(&script_path)
    .arg(server.base_url())
    .kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(seconds + 60), wrk.output())
        .await
        .expect("wrk ends on time")
        .expect("wrk runs (install Debian's wrk package)");
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "wrk failed:\n{stdout}");
    let report = parse_report(&stdout);
    let completed_during = deployment.jobs_with_status("completed").await - 1;
    let figures = json!({
        "seconds": seconds,
        "connections": CONNECTIONS,
        "requests": report.requests,
        "requests_per_second": report.requests as f64 / elapsed.as_secs_f64(),
        "latency_ms": {
            "p50": report.p50 as f64 / 1000.0,
            "p90": report.p90 as f64 / 1000.0,
            "p99": report.p99 as f64 / 1000.0,
            "max": report.max as f64 / 1000.0,
        },
        "errors": {
            "connect": report.connect_errors,
            "read": report.read_errors,
            "write": report.write_errors,
            "timeout": report.timeouts,
            "non_2xx": report.non_2xx,
        },
        "round": {"users": USERS, "contacts": USERS as u64 * u64::from(CONTACTS), "jobs_completed_during_load": completed_during},
    });
    eprintln!("load figures: {figures}");
    std::fs::write(
        artifacts.join("load.json"),
        serde_json::to_string_pretty(&figures).expect("JSON"),
    )
    .expect("the figures are written");

    assert!(report.requests > 0, "wrk sent requests");
    assert_eq!(
        (
            report.connect_errors,
            report.read_errors,
            report.write_errors,
            report.timeouts,
            report.non_2xx
        ),
        (0, 0, 0, 0, 0),
        "no request failed:\n{stdout}"
    );
    assert!(completed_during > 0, "the round made progress under load");
    deployment.google.clear_faults();

    let everyone = i64::try_from(USERS).expect("small") + 1;
    eventually_within("the round completes", Duration::from_secs(600), || async {
        deployment.jobs_with_status("completed").await == everyone
    })
    .await;
    deployment.assert_all_jobs_final().await;
    deployment.assert_disk_of_truth().await;
}
