//! Schemathesis (from PyPI) against `/openapi.json` of a running server, with the admin key, over
//! every operation: examples, coverage, fuzzing and stateful phases, every built-in check but
//! `positive_data_acceptance`, plus `tests/schemathesis/hooks.py` (every error body in the
//! documented shape, no internals in a 5xx). The seed and the example count are fixed, so a CI
//! run is reproducible (the stateful phase follows ids the server hands out, so the number of
//! generated cases varies a little from run to run). The JUnit report (in
//! `tests/artifacts/schemathesis/`) must list every documented operation but `/openapi.json`
//! itself, which schemathesis does not test.
//!
//! The test runs the `st` executable named by `PULSE_SCHEMATHESIS` (`.ci/run` installs a pinned
//! schemathesis into a temporary virtualenv and sets it). Without it the test says so and passes,
//! unless `PULSE_REQUIRE_SCHEMATHESIS=1` (set by `.ci/run`), when it fails.
//!
//! `positive_data_acceptance` is left out because the schema cannot say which values the server
//! accepts: a `cursor` must be one the server issued, a callback `state` one it stored, a
//! `return_to` on an allowed origin, and a workspace id without control characters.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use pulse_google::fake::{FakeOptions, generated_account};
use pulse_tests::{Deployment, ServerProcess};

/// The `st` executable to run.
const SCHEMATHESIS_VAR: &str = "PULSE_SCHEMATHESIS";
/// Set to 1 to fail (not skip) when schemathesis is missing.
const REQUIRE_VAR: &str = "PULSE_REQUIRE_SCHEMATHESIS";
/// The fixed seed of the generated cases.
const SEED: &str = "20261130";
/// Cases per operation and phase.
const EXAMPLES: &str = "100";
/// The longest run allowed.
const RUN_PATIENCE: Duration = Duration::from_secs(600);

fn schemathesis() -> Option<PathBuf> {
    let required = std::env::var(REQUIRE_VAR).is_ok_and(|value| value == "1");
    match std::env::var_os(SCHEMATHESIS_VAR).map(PathBuf::from) {
        Some(path) if path.is_file() => Some(path),
        Some(path) => panic!(
            "{SCHEMATHESIS_VAR} names {}, which is not a file",
            path.display()
        ),
        None if required => panic!("{REQUIRE_VAR}=1 but {SCHEMATHESIS_VAR} is not set"),
        None => {
            eprintln!(
                "skipped: set {SCHEMATHESIS_VAR} to a schemathesis `st` executable (.ci/run does)"
            );
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_5xx_no_schema_mismatch_and_no_undocumented_error() {
    let Some(st) = schemathesis() else {
        return;
    };
    let deployment = Deployment::start(FakeOptions {
        accounts: Vec::new(),
        ..FakeOptions::default()
    })
    .await;
    deployment
        .connect("demo", generated_account(40, 0x5C4E))
        .await;
    let config = deployment.server_config();
    let server = ServerProcess::serve("server", &config).await;
    let document = pulse_tests::ApiClient::new(server.base_url())
        .get("/openapi.json", None)
        .await;
    // Every documented operation but the document itself (schemathesis does not test its own
    // schema's URL), as `METHOD /path`.
    let operations: Vec<String> = document.json["paths"]
        .as_object()
        .expect("the document lists paths")
        .iter()
        .filter(|(path, _)| path.as_str() != "/openapi.json")
        .flat_map(|(path, item)| {
            item.as_object()
                .into_iter()
                .flat_map(|methods| methods.keys())
                .filter(|method| {
                    ["get", "put", "post", "delete", "patch"].contains(&method.as_str())
                })
                .map(move |method| format!("{} {path}", method.to_uppercase()))
        })
        .collect();
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let hooks = manifest.join("schemathesis").join("hooks.py");
    let reports = manifest.join("artifacts").join("schemathesis");
    std::fs::create_dir_all(&reports).expect("the report directory");
    let junit = reports.join("junit.xml");
    let work = std::env::temp_dir().join(format!("pulse-schemathesis-{}", std::process::id()));
    std::fs::create_dir_all(&work).expect("a working directory");

    let mut command = tokio::process::Command::new(&st);
    command
        .current_dir(&work)
        .env("SCHEMATHESIS_HOOKS", &hooks)
        .env("NO_COLOR", "1")
        .args(["run", &format!("{}/openapi.json", server.base_url())])
        .args([
            "--header",
            &format!("Authorization: Bearer {}", deployment.admin_key),
        ])
        .args([
            "--checks",
            "all",
            "--exclude-checks",
            "positive_data_acceptance",
        ])
        .args(["--max-examples", EXAMPLES, "--seed", SEED, "--workers", "1"])
        .args(["--request-timeout", "30", "--no-color"])
        .args(["--report", "junit", "--report-junit-path"])
        .arg(&junit)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let output = tokio::time::timeout(RUN_PATIENCE, command.output())
        .await
        .expect("schemathesis finishes within ten minutes")
        .expect("schemathesis runs");
    let _ = std::fs::remove_dir_all(&work);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let summary: Vec<&str> = stdout
        .lines()
        .filter(|line| line.contains(" generated, ") || line.contains("Seed:"))
        .collect();
    eprintln!("schemathesis: {}", summary.join("; "));
    assert!(
        output.status.success(),
        "schemathesis found problems ({}):\n{stdout}\n{stderr}",
        output.status
    );
    let report = std::fs::read_to_string(&junit).expect("the JUnit report");
    for operation in &operations {
        assert!(
            report.contains(&format!("testcase name=\"{operation}\"")),
            "{operation} was not tested:\n{stdout}"
        );
    }
}
