//! TLS to PostgreSQL as libpq's `sslmode` and `sslrootcert` define it, against a throwaway server
//! that accepts TLS only (`hostssl`, no `host` line) with certificates the test makes: every mode,
//! a wrong CA, a name mismatch, an expired certificate, the default root file and the system
//! roots. `pg_stat_ssl` proves that the connections pulse-sync opens (its pool, its job listener,
//! the connections of `serve` and `demo`) are encrypted, and every command (`migrate`, `api-key`,
//! `sync`, `status`, `serve`, `demo`) works with `sslmode=require` and with
//! `sslmode=verify-full`. The database password never appears in an error, output or log line.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Utc;
use pulse_domain::ports::{ApiKeyRepository, ConnectionRepository};
use pulse_domain::{NewConnection, UserId};
use pulse_google::CONTACTS_READONLY_SCOPE;
use pulse_google::fake::{Dataset, FakeGoogle, FakeOptions};
use pulse_storage::crypto::EncryptionKey;
use pulse_storage::{
    DatabaseUrl, KeyRing, PgStore, PoolSettings, SessionSettings, generate_key, run_migrations,
};
use pulse_tests::cli::{CommandOutput, run};
use pulse_tests::tls_server::{Backend, USER};
use pulse_tests::{
    API, ApiClient, PATIENCE, SecretSet, ServerCertificate, ServerConfig, ServerProcess,
    TlsPostgres, eventually, eventually_some, with_workspace,
};
use tokio_postgres::Client;

/// The `application_name` of the connections a case of the mode table opens.
const CASE_APPLICATION_NAME: &str = "pulse-tls-case";

/// The `application_name` of the in-process store whose pool is checked.
const STORE_APPLICATION_NAME: &str = "pulse-tls-store";

/// The `application_name` of the store a command test arranges rows with.
const SETUP_APPLICATION_NAME: &str = "pulse-tls-setup";

/// The application names of the service's own connections.
const SERVICE_APPLICATION_NAMES: [&str; 2] = ["pulse-sync", "pulse-job-listener"];

/// The workspace the command tests sync.
const WORKSPACE: &str = "tls-acme";

/// What one URL must give.
#[derive(Debug)]
enum Expect {
    /// A connection, encrypted.
    Tls,
    /// A refusal when connecting, whose message holds every fragment.
    Refused(Vec<String>),
    /// A URL refused before any connection is tried, whose message holds every fragment.
    InvalidUrl(Vec<String>),
}

fn fragments(texts: &[&str]) -> Vec<String> {
    texts.iter().map(|text| (*text).to_owned()).collect()
}

/// A password the server does not accept.
const WRONG_PASSWORD: &str = "not-the-password-7d1f0c";

/// The passwords (the server's and the wrong one) as secrets to scan for.
fn password_secret(server: &TlsPostgres) -> SecretSet {
    let mut secrets = SecretSet::default();
    secrets.add("the database password", server.password());
    secrets.add("the wrong password", WRONG_PASSWORD);
    secrets
}

/// One connection with the mode table's application name.
async fn open(url: &DatabaseUrl) -> Result<Client, pulse_storage::ConnectError> {
    let session = SessionSettings {
        application_name: CASE_APPLICATION_NAME,
        ..SessionSettings::default()
    };
    let (client, connection) = url.connect(&session).await?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "a case's connection ended");
        }
    });
    Ok(client)
}

/// `pg_stat_ssl` of the connection's own backend: whether it is encrypted, and the version.
async fn own_tls_state(client: &Client) -> (bool, Option<String>) {
    let row = client
        .query_one(
            "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .unwrap_or_else(|error| panic!("cannot read pg_stat_ssl: {error}"));
    (row.get(0), row.get(1))
}

#[track_caller]
fn assert_encrypted(backend: &Backend) {
    assert!(backend.ssl, "not encrypted: {backend:?}");
    assert!(
        backend
            .version
            .as_deref()
            .is_some_and(|version| version.starts_with("TLSv1.")),
        "no TLS version: {backend:?}"
    );
    assert!(backend.cipher.is_some(), "no cipher: {backend:?}");
}

/// Checks one URL against what it must give.
async fn check_case(server: &TlsPostgres, label: &str, url: &str, expect: &Expect) {
    let secrets = password_secret(server);
    let parsed = DatabaseUrl::parse(url);
    let outcome = match parsed {
        Ok(parsed) => {
            secrets.assert_absent(&format!("{label}: the parsed URL"), &format!("{parsed:?}"));
            Some(open(&parsed).await)
        }
        Err(error) => {
            let text = error.to_string();
            secrets.assert_absent(&format!("{label}: the error"), &format!("{text} {error:?}"));
            match expect {
                Expect::InvalidUrl(needles) => {
                    for needle in needles {
                        assert!(
                            text.contains(needle.as_str()),
                            "{label}: {text:?} lacks {needle:?}"
                        );
                    }
                }
                other => panic!("{label}: the URL was refused ({text}), expected {other:?}"),
            }
            None
        }
    };
    match (outcome, expect) {
        (None, _) => {}
        (Some(Ok(client)), Expect::Tls) => {
            let (ssl, version) = own_tls_state(&client).await;
            assert!(ssl, "{label}: the connection is not encrypted");
            assert!(
                version.as_deref().is_some_and(|v| v.starts_with("TLSv1.")),
                "{label}: TLS version {version:?}"
            );
        }
        (Some(Ok(_)), other) => panic!("{label}: connected, expected {other:?}"),
        (Some(Err(error)), Expect::Refused(needles)) => {
            let text = error.to_string();
            secrets.assert_absent(&format!("{label}: the error"), &format!("{text} {error:?}"));
            for needle in needles {
                assert!(
                    text.contains(needle.as_str()),
                    "{label}: {text:?} lacks {needle:?}"
                );
            }
        }
        (Some(Err(error)), other) => {
            panic!(
                "{label}: {error}, expected {other:?}\n{}",
                server
                    .log()
                    .lines()
                    .rev()
                    .take(20)
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_sslmode_against_a_server_that_accepts_only_tls() {
    let server = TlsPostgres::start(ServerCertificate::Valid).await;
    let ca = server.ca_file().display().to_string();
    let wrong = server.wrong_ca_file().display().to_string();
    let not_trusted = "the server's certificate is not trusted";
    let cases: Vec<(&str, &str, String, Expect)> = vec![
        (
            "disable: refused by the server's hostssl-only pg_hba.conf",
            "127.0.0.1",
            "sslmode=disable".to_owned(),
            Expect::Refused(fragments(&[
                "cannot connect to 127.0.0.1 (sslmode=disable)",
                "no pg_hba.conf entry for host \"127.0.0.1\"",
                "no encryption",
            ])),
        ),
        (
            "allow: plain is refused, then TLS",
            "127.0.0.1",
            "sslmode=allow".to_owned(),
            Expect::Tls,
        ),
        (
            "prefer",
            "127.0.0.1",
            "sslmode=prefer".to_owned(),
            Expect::Tls,
        ),
        (
            "no sslmode (prefer)",
            "127.0.0.1",
            String::new(),
            Expect::Tls,
        ),
        (
            "require without roots: any certificate",
            "127.0.0.1",
            "sslmode=require".to_owned(),
            Expect::Tls,
        ),
        (
            "require with the wrong CA (libpq: verify-ca)",
            "localhost",
            format!("sslmode=require&sslrootcert={wrong}"),
            Expect::Refused(fragments(&[
                "TLS to localhost (sslmode=require) failed",
                not_trusted,
            ])),
        ),
        (
            "require with the right CA: the chain, not the name",
            "127.0.0.1",
            format!("sslmode=require&sslrootcert={ca}"),
            Expect::Tls,
        ),
        (
            "verify-ca with the right CA: the name is not checked",
            "127.0.0.1",
            format!("sslmode=verify-ca&sslrootcert={ca}"),
            Expect::Tls,
        ),
        (
            "verify-ca with the wrong CA",
            "localhost",
            format!("sslmode=verify-ca&sslrootcert={wrong}"),
            Expect::Refused(fragments(&[
                "TLS to localhost (sslmode=verify-ca) failed",
                not_trusted,
            ])),
        ),
        (
            "verify-full for localhost with the right CA",
            "localhost",
            format!("sslmode=verify-full&sslrootcert={ca}"),
            Expect::Tls,
        ),
        (
            "verify-full for 127.0.0.1: the certificate names localhost only",
            "127.0.0.1",
            format!("sslmode=verify-full&sslrootcert={ca}"),
            Expect::Refused(fragments(&[
                "TLS to 127.0.0.1 (sslmode=verify-full) failed",
                "not valid for the host name \"127.0.0.1\" (name mismatch)",
            ])),
        ),
        (
            "verify-full with the wrong CA",
            "localhost",
            format!("sslmode=verify-full&sslrootcert={wrong}"),
            Expect::Refused(fragments(&[
                "TLS to localhost (sslmode=verify-full) failed",
                not_trusted,
            ])),
        ),
        (
            "sslrootcert=system: verify-full, and the test CA is no system root",
            "localhost",
            "sslrootcert=system".to_owned(),
            Expect::Refused(fragments(&[
                "TLS to localhost (sslmode=verify-full) failed",
                not_trusted,
            ])),
        ),
        (
            "sslrootcert=system with require",
            "localhost",
            "sslmode=require&sslrootcert=system".to_owned(),
            Expect::InvalidUrl(fragments(&[
                "sslmode=require may not be used with sslrootcert=system",
            ])),
        ),
        (
            "sslrootcert=system with verify-ca",
            "localhost",
            "sslmode=verify-ca&sslrootcert=system".to_owned(),
            Expect::InvalidUrl(fragments(&[
                "sslmode=verify-ca may not be used with sslrootcert=system",
            ])),
        ),
        (
            "an sslrootcert file that holds no certificate",
            "localhost",
            format!(
                "sslmode=verify-full&sslrootcert={}/postgres.log",
                server.dir().display()
            ),
            Expect::InvalidUrl(fragments(&["sslrootcert ", "holds no PEM certificate"])),
        ),
        (
            "an unknown sslmode",
            "localhost",
            "sslmode=verify".to_owned(),
            Expect::InvalidUrl(fragments(&["sslmode=\"verify\" is not one of"])),
        ),
    ];
    for (label, host, parameters, expect) in &cases {
        let url = server.url(host, "postgres", parameters);
        check_case(&server, label, &url, expect).await;
    }
    // A wrong password over verified TLS: the server's refusal, without either password.
    check_case(
        &server,
        "a wrong password",
        &server
            .verified_url("postgres")
            .replacen(server.password(), WRONG_PASSWORD, 1),
        &Expect::Refused(fragments(&[
            "cannot connect to localhost (sslmode=verify-full)",
            "password authentication failed for user \"postgres\"",
        ])),
    )
    .await;
    // A `key=value` string, with libpq's quoting and spaces around `=`.
    check_case(
        &server,
        "a key=value string with quoted values",
        &format!(
            "host=localhost port={} user={USER} password='{}' dbname=postgres \
             sslmode = 'verify-full' sslrootcert='{ca}'",
            server.port(),
            server.password()
        ),
        &Expect::Tls,
    )
    .await;
    check_case(
        &server,
        "a key=value string for 127.0.0.1 under verify-full",
        &format!(
            "host=127.0.0.1 port={} user={USER} password={} dbname=postgres \
             sslmode=verify-full sslrootcert={ca}",
            server.port(),
            server.password()
        ),
        &Expect::Refused(fragments(&[
            "TLS to 127.0.0.1 (sslmode=verify-full) failed",
            "(name mismatch)",
        ])),
    )
    .await;
    // The server's refusal names the database; a name that mentions TLS changes nothing.
    server.create_database("tls_app").await;
    check_case(
        &server,
        "disable, on a database named tls_app",
        &server.url("127.0.0.1", "tls_app", "sslmode=disable"),
        &Expect::Refused(fragments(&[
            "cannot connect to 127.0.0.1 (sslmode=disable)",
            "database \"tls_app\", no encryption",
        ])),
    )
    .await;
    check_case(
        &server,
        "verify-full, on a database named tls_app",
        &server.verified_url("tls_app"),
        &Expect::Tls,
    )
    .await;

    // The service's pool over verify-full: every connection it opened is encrypted.
    let url = server.verified_url("postgres");
    run_migrations(&url)
        .await
        .unwrap_or_else(|error| panic!("the migrations run over TLS: {error}"));
    let keys = KeyRing::new(EncryptionKey::from_base64(&generate_key()).expect("a generated key"));
    let settings = PoolSettings {
        max_size: 2,
        session: SessionSettings {
            application_name: STORE_APPLICATION_NAME,
            ..SessionSettings::default()
        },
        ..PoolSettings::default()
    };
    let store = PgStore::connect(&url, settings, keys).expect("a store over TLS");
    let listed = store.list_keys().await.expect("the store answers over TLS");
    assert!(listed.is_empty(), "{listed:?}");
    let pool: Vec<Backend> = server
        .backends()
        .await
        .into_iter()
        .filter(|backend| backend.application_name == STORE_APPLICATION_NAME)
        .collect();
    assert!(!pool.is_empty(), "the store's pool holds a connection");
    pool.iter().for_each(assert_encrypted);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_certificate_is_refused_wherever_the_chain_is_checked() {
    let server = TlsPostgres::start(ServerCertificate::Expired).await;
    let ca = server.ca_file().display().to_string();
    let expired = "the server's certificate has expired";
    let cases = [
        (
            "verify-full",
            "localhost",
            format!("sslmode=verify-full&sslrootcert={ca}"),
            Expect::Refused(fragments(&[
                "TLS to localhost (sslmode=verify-full) failed",
                expired,
            ])),
        ),
        (
            "verify-ca",
            "127.0.0.1",
            format!("sslmode=verify-ca&sslrootcert={ca}"),
            Expect::Refused(fragments(&[
                "TLS to 127.0.0.1 (sslmode=verify-ca) failed",
                expired,
            ])),
        ),
        (
            "require with a root file (libpq: verify-ca)",
            "127.0.0.1",
            format!("sslmode=require&sslrootcert={ca}"),
            Expect::Refused(fragments(&[
                "TLS to 127.0.0.1 (sslmode=require) failed",
                expired,
            ])),
        ),
        (
            "require without roots checks nothing, as libpq",
            "127.0.0.1",
            "sslmode=require".to_owned(),
            Expect::Tls,
        ),
    ];
    for (label, host, parameters, expect) in &cases {
        let url = server.url(host, "postgres", parameters);
        check_case(&server, label, &url, expect).await;
    }

    // `serve` refuses the certificate at start, and says why.
    let google = FakeGoogle::start(FakeOptions::default()).expect("the fake Google starts");
    let config = ServerConfig::new(
        &server.verified_url("postgres"),
        &generate_key(),
        &format!("pulse_admin_{}", uuid::Uuid::new_v4().simple()),
    )
    .with_google(&google)
    .with("HOME", &server.home("serve", None).display().to_string());
    let mut serve = ServerProcess::spawn("serve", &["serve"], &config);
    let status = serve
        .wait_exit(PATIENCE)
        .await
        .expect("serve exits when the certificate is refused");
    let logs = serve.logs().text();
    assert!(!status.success(), "{logs}");
    assert!(
        logs.contains(
            "TLS to localhost (sslmode=verify-full) failed: the server's certificate has expired"
        ),
        "{logs}"
    );
    assert!(
        !logs.contains(pulse_tests::process::LISTENING),
        "it never listened: {logs}"
    );
    password_secret(&server).assert_absent("serve's logs", &logs);
}

/// One run of `migrate` with the roots libpq would find.
struct RootCase<'a> {
    label: &'a str,
    host: &'a str,
    parameters: &'a str,
    /// `HOME`, where `~/.postgresql/root.crt` is looked for.
    home: &'a str,
    /// `SSL_CERT_FILE`: the operating system's roots, when set.
    system_roots: Option<&'a str>,
    /// What the refusal says, or `None` when migrate must succeed.
    refusal: Option<&'a str>,
}

#[tokio::test(flavor = "multi_thread")]
async fn libpqs_default_root_file_and_the_system_roots() {
    let server = TlsPostgres::start(ServerCertificate::Valid).await;
    let secrets = password_secret(&server);
    let no_roots = server.home("none", None).display().to_string();
    let right_root = server
        .home("right", Some(server.ca_file()))
        .display()
        .to_string();
    let wrong_root = server
        .home("wrong", Some(server.wrong_ca_file()))
        .display()
        .to_string();
    let ca = server.ca_file().display().to_string();
    let wrong = server.wrong_ca_file().display().to_string();
    let cases = [
        RootCase {
            label: "verify-full without sslrootcert or ~/.postgresql/root.crt",
            host: "localhost",
            parameters: "sslmode=verify-full",
            home: &no_roots,
            system_roots: None,
            refusal: Some("sslmode=verify-full needs trusted root certificates: set sslrootcert"),
        },
        RootCase {
            label: "verify-full with the test CA as ~/.postgresql/root.crt",
            host: "localhost",
            parameters: "sslmode=verify-full",
            home: &right_root,
            system_roots: None,
            refusal: None,
        },
        RootCase {
            label: "verify-ca with the test CA as ~/.postgresql/root.crt",
            host: "127.0.0.1",
            parameters: "sslmode=verify-ca",
            home: &right_root,
            system_roots: None,
            refusal: None,
        },
        RootCase {
            label: "require with the wrong CA as ~/.postgresql/root.crt (libpq: verify-ca)",
            host: "127.0.0.1",
            parameters: "sslmode=require",
            home: &wrong_root,
            system_roots: None,
            refusal: Some(
                "TLS to 127.0.0.1 (sslmode=require) failed: the server's certificate is not trusted",
            ),
        },
        RootCase {
            label: "sslrootcert=system with the test CA as the system's roots",
            host: "localhost",
            parameters: "sslrootcert=system",
            home: &wrong_root,
            system_roots: Some(&ca),
            refusal: None,
        },
        RootCase {
            label: "sslrootcert=system with another CA as the system's roots",
            host: "localhost",
            parameters: "sslmode=verify-full&sslrootcert=system",
            home: &right_root,
            system_roots: Some(&wrong),
            refusal: Some(
                "TLS to localhost (sslmode=verify-full) failed: the server's certificate is not trusted",
            ),
        },
        RootCase {
            label: "sslrootcert=system with 127.0.0.1: a name mismatch",
            host: "127.0.0.1",
            parameters: "sslrootcert=system",
            home: &no_roots,
            system_roots: Some(&ca),
            refusal: Some("not valid for the host name \"127.0.0.1\" (name mismatch)"),
        },
    ];
    for RootCase {
        label,
        host,
        parameters,
        home,
        system_roots,
        refusal,
    } in cases
    {
        let mut config = ServerConfig::new(
            &server.url(host, "postgres", parameters),
            &generate_key(),
            "pulse_admin_not_used_here",
        );
        config.set("HOME", home);
        if let Some(file) = system_roots {
            config.set("SSL_CERT_FILE", file);
        }
        let output = run(&config, &["migrate"]).await;
        let printed = format!("{}{}", output.stdout, output.stderr);
        secrets.assert_absent(label, &printed);
        match refusal {
            None => assert!(output.success, "{label}: {printed}"),
            Some(refusal) => {
                assert!(!output.success, "{label}: migrate succeeded: {printed}");
                assert!(
                    printed.contains(refusal),
                    "{label}: {printed:?} lacks {refusal:?}"
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_command_works_with_sslmode_require() {
    let server = TlsPostgres::start(ServerCertificate::Valid).await;
    let url = server.url("127.0.0.1", "postgres", "sslmode=require");
    every_command_works_over(&server, &url).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_command_works_with_sslmode_verify_full() {
    let server = TlsPostgres::start(ServerCertificate::Valid).await;
    let url = server.verified_url("postgres");
    every_command_works_over(&server, &url).await;
}

/// Runs a one-shot command that must succeed, and checks its output for the password.
async fn run_ok(config: &ServerConfig, secrets: &SecretSet, args: &[&str]) -> CommandOutput {
    let output = run(config, args).await;
    let printed = format!("{}{}", output.stdout, output.stderr);
    secrets.assert_absent(&format!("the output of {args:?}"), &printed);
    assert!(output.success, "pulse-sync {args:?} failed: {printed}");
    output
}

/// Connects [`WORKSPACE`] to a fake account with the seed's contacts, sealed with `key`.
async fn connect_workspace(url: &str, key: &str, google: &FakeGoogle) {
    let keys = KeyRing::new(EncryptionKey::from_base64(key).expect("a generated key"));
    let settings = PoolSettings {
        max_size: 1,
        session: SessionSettings {
            application_name: SETUP_APPLICATION_NAME,
            ..SessionSettings::default()
        },
        ..PoolSettings::default()
    };
    let store = PgStore::connect(url, settings, keys).expect("a store over TLS");
    google.add_account(WORKSPACE, Dataset::Seed);
    let connection = NewConnection {
        user_id: UserId::parse(WORKSPACE).expect("a workspace id"),
        google_account_id: Some(WORKSPACE.to_owned()),
        google_email: Some(WORKSPACE.to_owned()),
        refresh_token: google.grant(WORKSPACE).expect("a grant"),
        access_token_expires_at: None,
        scopes: vec![CONTACTS_READONLY_SCOPE.to_owned()],
    };
    store
        .save_connection(&connection, Utc::now())
        .await
        .expect("the connection is stored over TLS");
}

/// Waits until the service's pool and job listener are connected, then checks that every
/// backend on the server (the service's and the test's) is encrypted.
async fn service_backends(server: &TlsPostgres) {
    let backends = eventually_some(
        "the pool's and the listener's backends",
        PATIENCE,
        || async {
            let backends = server.backends().await;
            let present = SERVICE_APPLICATION_NAMES.iter().all(|name| {
                backends
                    .iter()
                    .any(|backend| backend.application_name == *name)
            });
            present.then_some(backends)
        },
    )
    .await;
    backends.iter().for_each(assert_encrypted);
}

/// `migrate`, `api-key create` and `list`, `sync`, `status`, `serve` and `demo` over `url`.
async fn every_command_works_over(server: &TlsPostgres, url: &str) {
    let secrets = password_secret(server);
    let google = FakeGoogle::start(FakeOptions::default()).expect("the fake Google starts");
    let encryption_key = generate_key();
    let admin_key = pulse_tests::deployment::random_admin_key();
    // No ~/.postgresql/root.crt: `require` verifies nothing, `verify-full` uses sslrootcert.
    let home = server.home("commands", None).display().to_string();
    let config = ServerConfig::new(url, &encryption_key, &admin_key)
        .with_google(&google)
        .with("HOME", &home);

    let migrated = run_ok(&config, &secrets, &["migrate"]).await;
    assert!(
        migrated.stderr.contains("migration applied"),
        "{}",
        migrated.stderr
    );
    connect_workspace(url, &encryption_key, &google).await;

    let created = run_ok(
        &config,
        &secrets,
        &["api-key", "create", "--workspace", WORKSPACE],
    )
    .await;
    let key = created
        .stdout
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with("pulse_") && !line.contains(' '))
        .unwrap_or_else(|| panic!("no key in: {}", created.stdout))
        .to_owned();
    let listed = run_ok(&config, &secrets, &["api-key", "list"]).await;
    assert!(
        listed.stdout.contains(&format!("workspace {WORKSPACE}"))
            && listed.stdout.contains("active"),
        "{}",
        listed.stdout
    );

    let synced = run_ok(&config, &secrets, &["sync", "--workspace", WORKSPACE]).await;
    assert_eq!(
        synced.stdout.trim(),
        "12 synced, 416 skipped (no identifier)",
        "{}",
        synced.stderr
    );
    let status = run_ok(&config, &secrets, &["status", "--workspace", WORKSPACE]).await;
    assert!(
        status.stdout.contains("Google: connected"),
        "{}",
        status.stdout
    );
    assert!(
        status
            .stdout
            .contains("manual  completed  12 synced, 416 skipped (no identifier)"),
        "{}",
        status.stdout
    );

    // serve: ready, answering from the database, over encrypted connections only.
    let mut serve = ServerProcess::serve("serve", &config).await;
    let api = ApiClient::new(serve.base_url());
    api.get("/readyz", None).await.expect_status(200);
    let answer = api
        .get(
            &with_workspace(&format!("{API}/auto-sync/config"), WORKSPACE),
            Some(&key),
        )
        .await;
    answer.expect_status(200);
    assert_eq!(answer.json["connection"], "connected", "{}", answer.text);
    service_backends(server).await;
    let stopped = serve.terminate().await;
    let logs = serve.logs().text();
    assert!(stopped.success(), "serve stopped with {stopped}: {logs}");
    secrets.assert_absent("serve's logs", &logs);
    // Once serve's backends are gone, the ones seen next are demo's.
    eventually("serve's backends end", || async {
        server
            .backends()
            .await
            .iter()
            .all(|backend| !SERVICE_APPLICATION_NAMES.contains(&backend.application_name.as_str()))
    })
    .await;

    // demo on the same database: its settings page works and its first sync completes.
    let demo_config = ServerConfig::new(url, &encryption_key, &admin_key).with("HOME", &home);
    let mut demo = ServerProcess::spawn("demo", &["demo"], &demo_config);
    let page = eventually_some("the demo's settings page", PATIENCE, || async {
        demo.logs()
            .lines()
            .iter()
            .find_map(|line| line.strip_prefix("[out] Settings page: "))
            .map(|page| page.trim().to_owned())
    })
    .await;
    let (base, fragment) = page
        .split_once("/#")
        .unwrap_or_else(|| panic!("a fragment in the page URL: {page}"));
    let demo_key = fragment
        .split('&')
        .find_map(|pair| pair.strip_prefix("key="))
        .unwrap_or_else(|| panic!("a key in the page URL: {page}"))
        .to_owned();
    let demo_api = ApiClient::new(base);
    demo_api.get("/readyz", None).await.expect_status(200);
    let jobs_path = with_workspace(&format!("{API}/google-contacts/sync/jobs"), "demo");
    let job = eventually_some("the demo's first sync", PATIENCE, || async {
        let page = demo_api.get(&jobs_path, Some(&demo_key)).await;
        page.expect_status(200);
        page.json["items"]
            .as_array()
            .and_then(|items| items.first())
            .filter(|job| job["status"] == "completed" || job["status"] == "failed")
            .cloned()
    })
    .await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["synced"], 12, "{job}");
    service_backends(server).await;
    let stopped = demo.terminate().await;
    let logs = demo.logs().text();
    assert!(stopped.success(), "demo stopped with {stopped}: {logs}");
    secrets.assert_absent("demo's logs", &logs);
}
