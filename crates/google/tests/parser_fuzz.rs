//! The People API parsing fuzzed through the real client: arbitrary JSON values, JSON shaped like
//! a connections page, arbitrary bytes, error bodies with any status, odd `Retry-After` headers
//! and arbitrary token-endpoint answers are served over loopback as Google's answers. The client
//! must turn every one into a page or a typed error, never a panic; well-formed pages must come
//! through intact.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use pulse_domain::ports::{ContactListing, ContactPage, ContactsSource, ListingMode, SourceError};
use pulse_domain::{Secret, UserId};
use pulse_google::{GoogleClient, GoogleConfig, RateLimitConfig, RetryConfig};
use serde_json::{Map, Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;

/// The path the scripted server answers token requests on.
const TOKEN_PATH: &str = "/token";

/// Field names of the People API's page, person and error JSON: keys the generated objects
/// pick from most of the time, so the fuzz reaches the nested fields, not only the top level.
const FIELD_NAMES: &[&str] = &[
    "connections",
    "nextPageToken",
    "nextSyncToken",
    "totalItems",
    "totalPeople",
    "resourceName",
    "etag",
    "metadata",
    "deleted",
    "previousResourceNames",
    "primary",
    "source",
    "names",
    "displayName",
    "givenName",
    "familyName",
    "emailAddresses",
    "value",
    "type",
    "phoneNumbers",
    "canonicalForm",
    "organizations",
    "name",
    "title",
    "photos",
    "url",
    "default",
    "error",
    "code",
    "message",
    "status",
    "details",
    "reason",
    "access_token",
    "expires_in",
    "token_type",
    "scope",
    "refresh_token",
    "error_description",
];

/// One scripted HTTP answer.
#[derive(Debug, Clone)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    delay: Duration,
}

impl Reply {
    fn json(status: u16, body: &Value) -> Self {
        Self {
            status,
            headers: vec![("Content-Type".to_owned(), "application/json".to_owned())],
            body: body.to_string().into_bytes(),
            delay: Duration::ZERO,
        }
    }

    fn raw(status: u16, body: Vec<u8>) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body,
            delay: Duration::ZERO,
        }
    }

    fn valid_token() -> Self {
        Self::json(
            200,
            &json!({"access_token": "ya29.fuzz", "expires_in": 3599, "token_type": "Bearer"}),
        )
    }
}

/// What the scripted server answers on the token endpoint and on every other path.
#[derive(Debug, Clone)]
struct Script {
    token: Reply,
    people: Reply,
}

/// A loopback HTTP server answering whatever the current script says, one request per
/// connection; plus a client pointed at it.
struct ScriptedGoogle {
    runtime: Runtime,
    script: Arc<Mutex<Script>>,
    base_url: String,
    users: AtomicU64,
}

impl ScriptedGoogle {
    fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let script = Arc::new(Mutex::new(Script {
            token: Reply::valid_token(),
            people: Reply::json(200, &json!({})),
        }));
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("a loopback port");
        let base_url = format!("http://{}", listener.local_addr().expect("an address"));
        let served = Arc::clone(&script);
        runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let script = Arc::clone(&served);
                tokio::spawn(async move {
                    let _ = answer(stream, &script).await;
                });
            }
        });
        Self {
            runtime,
            script,
            base_url,
            users: AtomicU64::new(0),
        }
    }

    fn set(&self, token: Reply, people: Reply) {
        *self.script.lock().unwrap_or_else(PoisonError::into_inner) = Script { token, people };
    }

    /// A client with one attempt per request (the answers are under test, not the retries).
    fn client(&self) -> GoogleClient {
        self.client_with(RetryConfig {
            max_attempts: 1,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(1),
            max_total: Duration::from_secs(5),
        })
    }

    fn client_with(&self, retry: RetryConfig) -> GoogleClient {
        let mut config = GoogleConfig::new(
            "fuzz-client",
            Secret::new("fuzz-secret"),
            "http://127.0.0.1:9/callback",
        )
        .expect("a config");
        config.token_url = format!("{}{TOKEN_PATH}", self.base_url)
            .parse()
            .expect("a URL");
        config.people_api_url = self.base_url.parse().expect("a URL");
        let plenty = NonZeroU32::new(1_000_000).expect("non-zero");
        config.rate_limits = RateLimitConfig {
            project_rpm: plenty,
            project_burst: plenty,
            user_rpm: plenty,
            user_burst: plenty,
        };
        config.retry = retry;
        config.request_timeout = Duration::from_secs(5);
        GoogleClient::new(&config).expect("a client")
    }

    /// Lists one page as a fresh user (so the token endpoint is asked too).
    fn first_page(&self, client: &GoogleClient) -> Result<Option<ContactPage>, SourceError> {
        let n = self.users.fetch_add(1, Ordering::Relaxed);
        let user = UserId::parse(&format!("fuzz-user-{n}")).expect("a user id");
        let mut listing = client.open_listing(
            &user,
            &Secret::new("1//fuzz-refresh"),
            ListingMode::Incremental(Secret::new("fuzz-sync-token")),
        );
        self.runtime.block_on(listing.next_page())
    }
}

/// Reads one request (head and `Content-Length` body) and writes the scripted answer.
async fn answer(stream: TcpStream, script: &Mutex<Script>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).await?;
    let mut content_length = 0_usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await? == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            content_length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; content_length];
    reader.read_exact(&mut body).await?;
    let path = request_line.split_whitespace().nth(1).unwrap_or("/");
    let reply = {
        let script = script.lock().unwrap_or_else(PoisonError::into_inner);
        if path.starts_with(TOKEN_PATH) {
            script.token.clone()
        } else {
            script.people.clone()
        }
    };
    tokio::time::sleep(reply.delay).await;
    let mut head = format!(
        "HTTP/1.1 {} Scripted\r\nContent-Length: {}\r\nConnection: close\r\n",
        reply.status,
        reply.body.len()
    );
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut stream = reader.into_inner();
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(&reply.body).await?;
    stream.shutdown().await
}

fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(FIELD_NAMES).prop_map(str::to_owned),
        1 => ".{0,12}",
    ]
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,24}".prop_map(Value::String),
        prop::sample::select(FIELD_NAMES).prop_map(|s| Value::String(format!("people/{s}"))),
    ]
}

/// Any JSON value, objects keyed mostly by the People API's field names.
fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(5, 96, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(field_name(), inner, 0..8)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// A page-shaped object: `connections` holding person-shaped objects whose fields are anything.
fn page_shaped() -> impl Strategy<Value = Value> {
    let person = prop::collection::btree_map(field_name(), json_value(), 0..8).prop_map(
        |fields: BTreeMap<String, Value>| {
            let mut person: Map<String, Value> = fields.into_iter().collect();
            person
                .entry("resourceName")
                .or_insert_with(|| json!("people/c1"));
            Value::Object(person)
        },
    );
    (
        prop::collection::vec(person, 0..6),
        prop::collection::btree_map(field_name(), json_value(), 0..4),
    )
        .prop_map(|(people, extra)| {
            let mut page: Map<String, Value> = extra.into_iter().collect();
            page.insert("connections".to_owned(), Value::Array(people));
            Value::Object(page)
        })
}

/// A well-formed person: resource name, optional name, emails and phones.
#[derive(Debug, Clone)]
struct Person {
    resource_name: String,
    display_name: Option<String>,
    emails: Vec<String>,
    phones: Vec<String>,
    deleted: bool,
}

impl Person {
    fn to_json(&self) -> Value {
        let mut person = json!({
            "resourceName": self.resource_name,
            "etag": format!("%{}", self.resource_name.len()),
            "metadata": {"deleted": self.deleted, "sources": [{"type": "CONTACT"}]},
            "emailAddresses": self.emails.iter().enumerate()
                .map(|(i, value)| json!({"metadata": {"primary": i == 0}, "value": value}))
                .collect::<Vec<_>>(),
            "phoneNumbers": self.phones.iter()
                .map(|value| json!({"metadata": {}, "value": value, "type": "mobile"}))
                .collect::<Vec<_>>(),
        });
        if let Some(name) = &self.display_name {
            person["names"] = json!([{"metadata": {"primary": true}, "displayName": name}]);
        }
        person
    }
}

fn person() -> impl Strategy<Value = Person> {
    (
        "people/c[0-9]{1,12}",
        prop::option::of(".{0,40}"),
        prop::collection::vec("[a-z]{1,8}@[a-z]{1,8}\\.example", 0..3),
        prop::collection::vec("\\+?[0-9 ()-]{3,16}", 0..3),
        any::<bool>(),
    )
        .prop_map(
            |(resource_name, display_name, emails, phones, deleted)| Person {
                resource_name,
                display_name,
                emails,
                phones,
                deleted,
            },
        )
}

/// Statuses Google answers with that the client reads a body for (429 and 5xx included: with one
/// attempt they are not retried).
fn error_status() -> impl Strategy<Value = u16> {
    prop::sample::select(vec![
        200_u16, 201, 204, 301, 400, 401, 403, 404, 409, 410, 412, 429, 500, 502, 503,
    ])
}

/// Any page or typed error is fine; a panic fails the case (and the process would say where).
fn no_panic(outcome: Result<Option<ContactPage>, SourceError>) -> Result<(), TestCaseError> {
    match outcome {
        Ok(Some(_)) | Err(_) => Ok(()),
        Ok(None) => Err(TestCaseError::fail("the first call returned no page")),
    }
}

fn scripted() -> &'static ScriptedGoogle {
    static SCRIPTED: std::sync::OnceLock<ScriptedGoogle> = std::sync::OnceLock::new();
    SCRIPTED.get_or_init(ScriptedGoogle::start)
}

/// The cases share one server, so they take turns.
fn turn() -> std::sync::MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(PoisonError::into_inner)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_json_value_as_a_page_is_a_page_or_a_typed_error(body in json_value()) {
        let _turn = turn();
        let google = scripted();
        google.set(Reply::valid_token(), Reply::json(200, &body));
        no_panic(google.first_page(&google.client()))?;
    }

    #[test]
    fn page_shaped_json_with_any_field_values_is_a_page_or_malformed(body in page_shaped()) {
        let _turn = turn();
        let google = scripted();
        google.set(Reply::valid_token(), Reply::json(200, &body));
        match google.first_page(&google.client()) {
            Ok(Some(_)) | Err(SourceError::Malformed { .. }) => {}
            other => prop_assert!(false, "a 200 answer gave {other:?}"),
        }
    }

    #[test]
    fn arbitrary_bytes_with_any_status_are_a_page_or_a_typed_error(
        status in error_status(),
        body in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        let _turn = turn();
        let google = scripted();
        google.set(Reply::valid_token(), Reply::raw(status, body));
        no_panic(google.first_page(&google.client()))?;
    }

    #[test]
    fn error_envelopes_with_any_contents_are_typed_errors(
        status in prop::sample::select(vec![400_u16, 403, 404, 410, 412]),
        error in json_value(),
    ) {
        let _turn = turn();
        let google = scripted();
        google.set(Reply::valid_token(), Reply::json(status, &json!({"error": error})));
        let outcome = google.first_page(&google.client());
        prop_assert!(outcome.is_err(), "a {status} answer gave {outcome:?}");
    }

    #[test]
    fn any_token_endpoint_answer_is_a_token_or_a_typed_error(
        status in prop::sample::select(vec![200_u16, 400, 401, 403, 500]),
        body in prop_oneof![
            json_value().prop_map(|value| value.to_string().into_bytes()),
            prop::collection::vec(any::<u8>(), 0..256),
        ],
    ) {
        let _turn = turn();
        let google = scripted();
        let token = Reply {
            status,
            headers: vec![("Content-Type".to_owned(), "application/json".to_owned())],
            body,
            delay: Duration::ZERO,
        };
        google.set(token, Reply::json(200, &json!({"connections": []})));
        no_panic(google.first_page(&google.client()))?;
    }

    #[test]
    fn any_retry_after_header_is_waited_or_given_up_without_a_panic(
        status in prop::sample::select(vec![429_u16, 500, 503]),
        retry_after in prop_oneof![
            any::<u64>().prop_map(|n| n.to_string()),
            Just(u64::MAX.to_string()),
            "[0-9]{19,30}",
            "-?[0-9]{1,4}",
            ".{0,20}",
        ],
    ) {
        let _turn = turn();
        let google = scripted();
        let mut reply = Reply::json(status, &json!({"error": {"code": status}}));
        reply.headers.push(("Retry-After".to_owned(), retry_after.clone()));
        google.set(Reply::valid_token(), reply);
        // Two attempts, a budget far below any whole second: a wait of a second or more is
        // refused at once, so only `Retry-After: 0` (or unreadable) waits, for a millisecond.
        let client = google.client_with(RetryConfig {
            max_attempts: 2,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(1),
            max_total: Duration::from_millis(500),
        });
        let outcome = google.first_page(&client);
        prop_assert!(
            matches!(outcome, Err(SourceError::Transient { .. })),
            "Retry-After {retry_after:?} gave {outcome:?}"
        );
    }

    #[test]
    fn well_formed_pages_come_through_intact(
        people in prop::collection::vec(person(), 0..20),
        next_page_token in prop::option::of("[A-Za-z0-9_-]{1,40}"),
        total in prop::option::of(0_i64..100_000),
    ) {
        let _turn = turn();
        let google = scripted();
        let mut body = json!({
            "connections": people.iter().map(Person::to_json).collect::<Vec<_>>(),
        });
        if let Some(token) = &next_page_token {
            body["nextPageToken"] = json!(token);
        } else {
            body["nextSyncToken"] = json!("sync-next");
        }
        if let Some(total) = total {
            body["totalItems"] = json!(total);
        }
        google.set(Reply::valid_token(), Reply::json(200, &body));
        let page = google
            .first_page(&google.client())
            .map_err(|error| TestCaseError::fail(format!("{error:?}")))?
            .ok_or_else(|| TestCaseError::fail("no page"))?;
        prop_assert_eq!(page.total_items, total);
        prop_assert_eq!(page.next_sync_token.is_some(), next_page_token.is_none());
        prop_assert_eq!(page.people.len(), people.len());
        for (parsed, sent) in page.people.iter().zip(&people) {
            prop_assert_eq!(&parsed.resource_name, &sent.resource_name);
            prop_assert_eq!(parsed.deleted, sent.deleted);
            let emails: Vec<_> = parsed.emails.iter().filter_map(|e| e.value.clone()).collect();
            prop_assert_eq!(&emails, &sent.emails);
            let phones: Vec<_> = parsed.phones.iter().filter_map(|p| p.value.clone()).collect();
            prop_assert_eq!(&phones, &sent.phones);
            let name = parsed.names.first().and_then(|n| n.display_name.clone());
            prop_assert_eq!(&name, &sent.display_name);
        }
    }
}

/// A `Retry-After` of the largest number after a first answer that took over a second: the
/// wait cannot fit the retry budget, so the client gives up (adding the two must not overflow).
#[test]
fn the_largest_retry_after_after_a_slow_answer_is_given_up() {
    let _turn = turn();
    let google = scripted();
    let mut reply = Reply::json(429, &json!({"error": {"code": 429}}));
    reply
        .headers
        .push(("Retry-After".to_owned(), u64::MAX.to_string()));
    reply.delay = Duration::from_millis(1_100);
    google.set(Reply::valid_token(), reply);
    let client = google.client_with(RetryConfig {
        max_attempts: 3,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(1),
        max_total: Duration::from_secs(10),
    });
    let outcome = google.first_page(&client);
    assert!(
        matches!(outcome, Err(SourceError::Transient { .. })),
        "{outcome:?}"
    );
}

/// Nesting far past serde_json's recursion limit (malformed where it is read, skipped where the
/// field is unknown) and a page of several megabytes: no stack overflow, no crash.
#[test]
fn deep_nesting_and_huge_bodies_are_malformed_not_a_crash() {
    let _turn = turn();
    let google = scripted();
    let depth = 100_000;
    let deep_arrays = format!(
        r#"{{"connections": [{{"resourceName": "people/c1", "names": {}{}}}]}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let deep_objects = format!(
        r#"{{"connections": [{{"resourceName": "people/c1", "metadata": {}1{}}}]}}"#,
        r#"{"a":"#.repeat(depth),
        "}".repeat(depth)
    );
    google.set(
        Reply::valid_token(),
        Reply::raw(200, deep_arrays.into_bytes()),
    );
    let outcome = google.first_page(&google.client());
    assert!(
        matches!(outcome, Err(SourceError::Malformed { .. })),
        "{outcome:?}"
    );
    // An unknown field is skipped without recursion, however deep: the person is read.
    google.set(
        Reply::valid_token(),
        Reply::raw(200, deep_objects.into_bytes()),
    );
    let page = google
        .first_page(&google.client())
        .expect("an unknown deep field is skipped")
        .expect("a page");
    assert_eq!(page.people.len(), 1);
    assert_eq!(page.people[0].resource_name, "people/c1");
    let many: Vec<Value> = (0..20_000)
        .map(|i| json!({"resourceName": format!("people/c{i}"), "emailAddresses": [{"value": format!("p{i}@example.com")}]}))
        .collect();
    google.set(
        Reply::valid_token(),
        Reply::json(200, &json!({"connections": many})),
    );
    let page = google
        .first_page(&google.client())
        .expect("a large page is read")
        .expect("a page");
    assert_eq!(page.people.len(), 20_000);
}
