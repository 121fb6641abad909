//! `ApiClient`: HTTP calls to a running server as the CRM makes them, each answer kept in a
//! transcript (status, headers and body) so a test can scan everything the API ever sent.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// How long one call may take before the test counts it as a hang.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// The API's path prefix.
pub const API: &str = "/api/logos-vision";

/// One answer: status, headers, the raw body and its JSON (`Null` when it is not JSON).
#[derive(Debug, Clone)]
pub struct Answer {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body as text (lossy).
    pub text: String,
    /// The body as JSON, or `Null`.
    pub json: Value,
}

impl Answer {
    /// `error.code` of an error body.
    pub fn error_code(&self) -> Option<&str> {
        self.json["error"]["code"].as_str()
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// Fails the test unless the status is `expected`.
    #[track_caller]
    pub fn expect_status(&self, expected: u16) -> &Self {
        assert_eq!(
            self.status.as_u16(),
            expected,
            "unexpected answer: {} {}",
            self.status,
            self.text
        );
        self
    }
}

/// A client of one server, with an optional key, keeping a transcript of every answer.
#[derive(Debug, Clone)]
pub struct ApiClient {
    base: String,
    http: reqwest::Client,
    transcript: Arc<Mutex<Vec<String>>>,
}

impl ApiClient {
    /// A client of the server at `base` (`http://127.0.0.1:PORT`); redirects are not followed.
    pub fn new(base: &str) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(CALL_TIMEOUT)
            .build()
            .expect("an HTTP client");
        Self {
            base: base.trim_end_matches('/').to_owned(),
            http,
            transcript: Arc::default(),
        }
    }

    /// The same transcript, another server (a second process on the same database).
    pub fn for_server(&self, base: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            http: self.http.clone(),
            transcript: Arc::clone(&self.transcript),
        }
    }

    /// The server's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    /// Queues a manual sync of `workspace` ("Sync now") and returns the job's id.
    pub async fn queue_sync(&self, key: Option<&str>, workspace: &str) -> String {
        let body = serde_json::json!({ "workspace_id": workspace });
        let queued = self
            .post(&format!("{API}/google-contacts/sync"), key, &body)
            .await;
        queued.expect_status(202);
        queued.json["id"]
            .as_str()
            .expect("the queued job's id")
            .to_owned()
    }

    /// Sends a request with `key` as a bearer token and an optional JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<&Value>,
    ) -> Answer {
        let mut request = self.http.request(method.clone(), self.url(path));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        self.send(request)
            .await
            .unwrap_or_else(|error| panic!("{method} {path} failed: {error}"))
    }

    /// Sends a prepared request and records the answer; `Err` on a transport failure.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Result<Answer, reqwest::Error> {
        let response = request.send().await?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        self.record(&status, &headers, &text);
        Ok(Answer {
            status,
            headers,
            text,
            json,
        })
    }

    /// A request builder on this client (for headers of the test's choosing).
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, self.url(path))
    }

    /// `GET` with a key.
    pub async fn get(&self, path: &str, key: Option<&str>) -> Answer {
        self.call(Method::GET, path, key, None).await
    }

    /// `PUT` a JSON body with a key.
    pub async fn put(&self, path: &str, key: Option<&str>, body: &Value) -> Answer {
        self.call(Method::PUT, path, key, Some(body)).await
    }

    /// `POST` a JSON body with a key.
    pub async fn post(&self, path: &str, key: Option<&str>, body: &Value) -> Answer {
        self.call(Method::POST, path, key, Some(body)).await
    }

    /// Presses "Connect" on the confirmation page (its HTML) an unbound consent's callback answers.
    pub async fn confirm_consent(&self, page: &str) -> Answer {
        let marker = "name=\"token\" value=\"";
        let start = page.find(marker).expect("a confirmation token") + marker.len();
        let length = page[start..].find('"').expect("a closed token value");
        let token = &page[start..start + length];
        self.send(
            self.request(Method::POST, &format!("{API}/google/callback/confirm"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("token={token}&decision=connect")),
        )
        .await
        .expect("the confirmation answers")
    }

    /// `DELETE` with a key.
    pub async fn delete(&self, path: &str, key: Option<&str>) -> Answer {
        self.call(Method::DELETE, path, key, None).await
    }

    /// Every answer so far as text (status line, headers, body), for scans.
    pub fn transcript(&self) -> String {
        self.transcript
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .join("\n")
    }

    /// How many answers the transcript holds.
    pub fn answers(&self) -> usize {
        self.transcript
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    fn record(&self, status: &StatusCode, headers: &HeaderMap, body: &str) {
        let mut entry = format!("HTTP {status}\n");
        for (name, value) in headers {
            entry.push_str(&format!(
                "{name}: {}\n",
                String::from_utf8_lossy(value.as_bytes())
            ));
        }
        entry.push_str(body);
        self.transcript
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(entry);
    }
}

/// `path?workspace_id=<workspace>` with the workspace URL-encoded.
pub fn with_workspace(path: &str, workspace: &str) -> String {
    let separator = if path.contains('?') { '&' } else { '?' };
    format!("{path}{separator}workspace_id={}", encode(workspace))
}

/// Percent-encodes a query value (everything but unreserved characters).
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                char::from(byte).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

/// Whether an error body has exactly the documented shape: `{"error": {"code", "message"}}`
/// with strings, plus only `field`, `job_id` or `error_id` (each a string).
pub fn is_documented_error(body: &Value) -> bool {
    let Some(outer) = body.as_object() else {
        return false;
    };
    let Some(error) = outer.get("error").and_then(Value::as_object) else {
        return false;
    };
    outer.len() == 1
        && error.get("code").is_some_and(Value::is_string)
        && error.get("message").is_some_and(Value::is_string)
        && error.iter().all(|(name, value)| match name.as_str() {
            "code" | "message" | "field" | "job_id" | "error_id" => value.is_string(),
            _ => false,
        })
}
