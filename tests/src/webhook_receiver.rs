//! `Receiver`: a webhook receiver on loopback, written as a CRM would write one with the
//! reference check `pulse_webhooks::verify`: it refuses a request whose signature does not match
//! its secret or whose timestamp is older than five minutes (400), and acknowledges an event id
//! it has already processed without processing it again (a replay, or at-least-once
//! redelivery). Before it verifies anything it can answer from a script (500, 503 with
//! `Retry-After`) to play a receiver that fails and then recovers.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use pulse_webhooks::{DEFAULT_TOLERANCE_SECONDS, EVENT_ID_HEADER, SIGNATURE_HEADER, VerifyError};

/// A scripted answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The status.
    pub status: u16,
    /// A `Retry-After` header value, if any.
    pub retry_after: Option<String>,
}

impl Reply {
    /// Just a status.
    pub fn status(status: u16) -> Self {
        Self {
            status,
            retry_after: None,
        }
    }
}

/// What the receiver made of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Answered from the script, not looked at.
    Scripted(u16),
    /// Verified and processed (the first time this event id came).
    Processed,
    /// Verified, but the event id was processed before: acknowledged, not processed again.
    Duplicate,
    /// Refused: the signature is missing, malformed, too old or does not match.
    Refused(VerifyError),
}

/// One request as the receiver got it.
#[derive(Debug, Clone)]
pub struct Received {
    /// `Pulse-Signature`.
    pub signature: Option<String>,
    /// `Pulse-Event-Id`.
    pub event_id: Option<String>,
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// The raw body.
    pub body: Vec<u8>,
    /// What the receiver made of it.
    pub verdict: Verdict,
}

impl Received {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

#[derive(Default)]
struct State {
    secret: Option<String>,
    script: VecDeque<Reply>,
    processed: HashSet<String>,
    received: Vec<Received>,
}

/// A receiver on `127.0.0.1`, stopped when dropped.
pub struct Receiver {
    url: String,
    port: u16,
    state: Arc<Mutex<State>>,
    server: ServerHandle,
}

fn header(request: &HttpRequest, name: &str) -> Option<String> {
    request
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

async fn receive(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<Mutex<State>>,
) -> HttpResponse {
    let mut state = state.lock().expect("receiver state");
    let signature = header(&request, SIGNATURE_HEADER);
    let event_id = header(&request, EVENT_ID_HEADER);
    let (verdict, reply) = if let Some(reply) = state.script.pop_front() {
        (Verdict::Scripted(reply.status), reply)
    } else {
        let secret = state.secret.clone().unwrap_or_default();
        let now = chrono::Utc::now().timestamp();
        let checked = signature
            .as_deref()
            .ok_or(VerifyError::Malformed)
            .and_then(|signature| {
                pulse_webhooks::verify(signature, &body, &secret, now, DEFAULT_TOLERANCE_SECONDS)
            });
        match checked {
            Err(error) => (Verdict::Refused(error), Reply::status(400)),
            Ok(()) => {
                let id = event_id.clone().unwrap_or_default();
                if state.processed.insert(id) {
                    (Verdict::Processed, Reply::status(200))
                } else {
                    (Verdict::Duplicate, Reply::status(200))
                }
            }
        }
    };
    state.received.push(Received {
        signature,
        event_id,
        content_type: header(&request, "content-type"),
        body: body.to_vec(),
        verdict,
    });
    let mut response = HttpResponse::build(
        actix_web::http::StatusCode::from_u16(reply.status).expect("a valid status"),
    );
    if let Some(retry_after) = reply.retry_after {
        response.insert_header(("Retry-After", retry_after));
    }
    response.finish()
}

impl Receiver {
    /// Starts a receiver on a free port (or `port`), verifying with `secret` once it is set.
    pub fn start(port: u16) -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let data = web::Data::from(state.clone());
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("webhook-receiver".to_owned())
            .spawn(move || {
                actix_web::rt::System::new().block_on(async move {
                    let server = HttpServer::new(move || {
                        App::new()
                            .app_data(data.clone())
                            .default_service(web::to(receive))
                    })
                    .workers(1)
                    .disable_signals()
                    .shutdown_timeout(1)
                    .bind(("127.0.0.1", port))
                    .expect("the receiver binds");
                    let address = server.addrs()[0];
                    let server = server.run();
                    ready_tx
                        .send((address, server.handle()))
                        .expect("the test waits");
                    let _ = server.await;
                });
            })
            .expect("the receiver thread starts");
        let (address, server) = ready_rx.recv().expect("the receiver started");
        Self {
            url: format!("http://{address}/hooks/pulse"),
            port: address.port(),
            state,
            server,
        }
    }

    /// The URL to set as the endpoint.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Verifies requests with `secret` from now on.
    pub fn set_secret(&self, secret: &str) {
        self.state.lock().expect("state").secret = Some(secret.to_owned());
    }

    /// Answers the next requests with `replies`, in order, before verifying any.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.state.lock().expect("state").script.extend(replies);
    }

    /// Every request so far.
    pub fn received(&self) -> Vec<Received> {
        self.state.lock().expect("state").received.clone()
    }

    /// The requests it processed (verified, first of their event id).
    pub fn processed(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|received| received.verdict == Verdict::Processed)
            .collect()
    }

    /// Stops it (the port closes).
    pub async fn stop(&self) {
        self.server.stop(false).await;
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        drop(self.server.stop(false));
    }
}
