//! libpq's table of `sslmode` × `sslrootcert`, as [`TlsPolicy::resolve`] applies it.

use std::path::PathBuf;

use super::{ConnectError, DatabaseUrl, Negotiation, RootCerts, SslMode, TlsPolicy, Verification};

fn file() -> RootCerts {
    RootCerts::File(PathBuf::from("/ca.pem"))
}

fn resolve(mode: Option<SslMode>, root: Option<RootCerts>) -> Result<TlsPolicy, ConnectError> {
    TlsPolicy::resolve(mode, root, None)
}

#[test]
fn the_default_is_prefer_without_verification() {
    let policy = resolve(None, None).expect("policy");
    assert_eq!(policy.mode, SslMode::Prefer);
    assert_eq!(policy.negotiation, Negotiation::TlsThenPlain);
    assert_eq!(policy.verification, Verification::None);
}

#[test]
fn each_mode_negotiates_as_libpq_does() {
    let cases = [
        (SslMode::Disable, Negotiation::Plain),
        (SslMode::Allow, Negotiation::PlainThenTls),
        (SslMode::Prefer, Negotiation::TlsThenPlain),
        (SslMode::Require, Negotiation::Tls),
        (SslMode::VerifyCa, Negotiation::Tls),
        (SslMode::VerifyFull, Negotiation::Tls),
    ];
    for (mode, negotiation) in cases {
        let policy = resolve(Some(mode), Some(file())).expect("policy");
        assert_eq!(policy.negotiation, negotiation, "{mode}");
        assert_eq!(SslMode::parse(mode.as_str()).expect("parse"), mode);
    }
}

#[test]
fn require_verifies_the_chain_only_when_a_root_file_is_given_or_present() {
    assert_eq!(
        resolve(Some(SslMode::Require), None)
            .expect("policy")
            .verification,
        Verification::None
    );
    assert_eq!(
        resolve(Some(SslMode::Require), Some(file()))
            .expect("policy")
            .verification,
        Verification::Chain(file())
    );
    let with_default = TlsPolicy::resolve(
        Some(SslMode::Require),
        None,
        Some(PathBuf::from("/home/u/.postgresql/root.crt")),
    )
    .expect("policy");
    assert_eq!(
        with_default.verification,
        Verification::Chain(RootCerts::File(PathBuf::from(
            "/home/u/.postgresql/root.crt"
        )))
    );
}

#[test]
fn prefer_and_allow_never_verify_even_with_roots() {
    for mode in [SslMode::Allow, SslMode::Prefer] {
        assert_eq!(
            resolve(Some(mode), Some(file()))
                .expect("policy")
                .verification,
            Verification::None
        );
    }
}

#[test]
fn verify_modes_check_the_chain_and_verify_full_the_host_too() {
    assert_eq!(
        resolve(Some(SslMode::VerifyCa), Some(file()))
            .expect("policy")
            .verification,
        Verification::Chain(file())
    );
    assert_eq!(
        resolve(Some(SslMode::VerifyFull), Some(file()))
            .expect("policy")
            .verification,
        Verification::ChainAndHost(file())
    );
    for mode in [SslMode::VerifyCa, SslMode::VerifyFull] {
        assert!(matches!(
            resolve(Some(mode), None),
            Err(ConnectError::NoRootCertificate(refused)) if refused == mode
        ));
    }
}

#[test]
fn system_roots_mean_verify_full_and_refuse_weaker_modes() {
    let policy = resolve(None, Some(RootCerts::System)).expect("policy");
    assert_eq!(policy.mode, SslMode::VerifyFull);
    assert_eq!(
        policy.verification,
        Verification::ChainAndHost(RootCerts::System)
    );
    for weak in [
        SslMode::Disable,
        SslMode::Allow,
        SslMode::Prefer,
        SslMode::Require,
        SslMode::VerifyCa,
    ] {
        assert!(matches!(
            resolve(Some(weak), Some(RootCerts::System)),
            Err(ConnectError::WeakModeWithSystemRoots(refused)) if refused == weak
        ));
    }
}

#[test]
fn unknown_modes_are_refused_by_name() {
    let error = DatabaseUrl::parse("postgres://h/db?sslmode=verify").expect_err("refused");
    assert!(error.to_string().contains("\"verify\""), "{error}");
}

#[test]
fn a_unix_socket_never_negotiates_tls() {
    let url = DatabaseUrl::parse("postgres://postgres@/db?host=/tmp/sock&sslmode=require")
        .expect("parsed");
    assert_eq!(url.tls().negotiation, Negotiation::Plain);
    assert_eq!(url.host(), "/tmp/sock");
}

#[test]
fn a_missing_root_file_is_named() {
    let error = DatabaseUrl::parse(
        "postgres://u:hunter2@h/db?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
    )
    .expect_err("refused");
    let text = error.to_string();
    assert!(text.contains("/nonexistent/ca.pem"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}

#[test]
fn debug_output_never_shows_the_password() {
    let url = DatabaseUrl::parse("postgres://u:hunter2@h/db").expect("parsed");
    assert!(!format!("{url:?}").contains("hunter2"));
}

#[test]
fn an_invalid_url_says_what_is_wrong_without_the_password() {
    let error =
        DatabaseUrl::parse("postgres://u:hunter2@h/db?no_such_option=1").expect_err("refused");
    let text = error.to_string();
    assert!(text.contains("unknown option `no_such_option`"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
    let error = DatabaseUrl::parse("host=h password=hunter2 port=notaport").expect_err("refused");
    let text = error.to_string();
    assert!(text.contains("invalid value for option `port`"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}
