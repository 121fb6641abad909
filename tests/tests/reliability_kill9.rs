//! `kill -9` of the server in the middle of a large sync. The job stays `running` under the dead
//! process's lease (nothing cleaned up), Google changes while the server is down, a restarted
//! server rescues the job once the short lease has run out, and the same job completes on its
//! second attempt with exactly Google's current data.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use pulse_google::fake::{FakeContact, FakeOptions, Fault, FaultTarget, generated_account};
use pulse_tests::cli::create_api_key;
use pulse_tests::{API, ApiClient, Deployment, ServerProcess, eventually, eventually_some};
use serde_json::json;

const USER: &str = "kill9-user";
/// Contacts of the user: 30 pages of 100.
const CONTACTS: u32 = 3_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_sync_is_restarted_and_the_job_is_rescued_and_completes() {
    let deployment = Deployment::start(FakeOptions {
        accounts: Vec::new(),
        page_size_cap: 100,
        ..FakeOptions::default()
    })
    .await;
    deployment
        .connect(USER, generated_account(CONTACTS, 0x9_1111))
        .await;
    // Every page answers slowly, so the kill lands half way through the listing.
    deployment.google.inject_fault_for(
        USER,
        FaultTarget::People,
        Fault::Slow { millis: 250 },
        1_000,
    );
    let config = deployment.server_config().with("PULSE_LEASE_SECONDS", "3");
    let key = create_api_key(&config, USER).await;
    let mut first = ServerProcess::serve("server 1", &config).await;
    let api = ApiClient::new(first.base_url());

    let job_id = api.queue_sync(Some(&key), USER).await;

    let in_flight = eventually_some("the sync is half way", Duration::from_secs(90), || async {
        let jobs = deployment.jobs_of(USER).await;
        jobs.into_iter()
            .find(|job| job.status == "running" && job.fetched >= 500)
    })
    .await;
    assert_eq!(in_flight.id.to_string(), job_id);
    assert!(in_flight.fetched < i64::from(CONTACTS), "{in_flight:?}");
    first.kill9();

    let stranded = deployment.jobs_of(USER).await;
    assert_eq!(stranded.len(), 1);
    assert_eq!(stranded[0].status, "running", "no cleanup ran");
    assert_eq!(stranded[0].worker_id, in_flight.worker_id);

    // Google changes while the server is down: contacts already stored go away or change,
    // new ones arrive.
    let contacts = deployment.google.contacts(USER).expect("the account");
    for gone in &contacts[..5] {
        deployment
            .google
            .delete_contact(USER, &gone.resource_name)
            .expect("deleted");
    }
    for (n, changed) in contacts[5..8].iter().enumerate() {
        let contact = FakeContact::named("Changed", &format!("Person{n}"))
            .with_email(&format!("changed{n}@example.com"));
        deployment
            .google
            .edit_contact(USER, &changed.resource_name, contact)
            .expect("edited");
    }
    for n in 0..3 {
        let contact = FakeContact::named("New", &format!("Person{n}"))
            .with_phone(&format!("+1 555 0100 {n:03}"), None);
        deployment.google.add_contact(USER, contact).expect("added");
    }
    deployment.google.clear_faults();

    let mut second = ServerProcess::serve("server 2", &config).await;
    let api = api.for_server(second.base_url());
    eventually("the rescued job completes", || async {
        deployment
            .jobs_of(USER)
            .await
            .first()
            .is_some_and(|job| job.status == "completed")
    })
    .await;

    let jobs = deployment.jobs_of(USER).await;
    assert_eq!(jobs.len(), 1, "the same job, not a second one: {jobs:?}");
    assert_eq!(jobs[0].id.to_string(), job_id);
    assert_eq!(jobs[0].attempt, 2, "rescued once, then completed");
    assert_eq!(jobs[0].error, None);
    let shown = api
        .get(
            &format!("{API}/google-contacts/sync/jobs/{job_id}"),
            Some(&key),
        )
        .await;
    shown.expect_status(200);
    assert_eq!(shown.json["status"], "completed");
    let total = deployment.google.contact_count(USER).expect("the account");
    assert_eq!(shown.json["total_contacts"], json!(total));

    let exit = second.terminate().await;
    assert!(exit.success(), "a graceful stop: {exit}");
    deployment.assert_all_jobs_final().await;
    deployment.assert_disk_of_truth().await;
}
