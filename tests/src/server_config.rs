//! `ServerConfig`: the environment a `pulse-sync` process gets, with defaults for tests (a
//! loopback port picked up front, a fast scheduler, short leases, quick Google retries, limits
//! out of the way) and a setter for anything a scenario changes.

use std::collections::BTreeMap;
use std::net::TcpListener;

use pulse_google::fake::FakeGoogle;

/// The OAuth callback path of the server.
pub const CALLBACK_PATH: &str = "/api/logos-vision/google/callback";

/// Environment variables for one `pulse-sync` process.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    vars: BTreeMap<String, String>,
    port: u16,
}

impl ServerConfig {
    /// A server on a free loopback port over `database_url`, sealing with `encryption_key`.
    pub fn new(database_url: &str, encryption_key: &str, admin_key: &str) -> Self {
        let port = free_port();
        let mut config = Self {
            vars: BTreeMap::new(),
            port,
        };
        for (name, value) in [
            ("DATABASE_URL", database_url),
            ("PULSE_ENCRYPTION_KEY", encryption_key),
            ("PULSE_ADMIN_API_KEY", admin_key),
            ("PULSE_AUTH_FAILURE_LIMIT", "100000"),
            ("PULSE_SCHEDULER_TICK_SECONDS", "1"),
            ("PULSE_SCHEDULER_STARTUP_DELAY_SECONDS", "0"),
            ("PULSE_WORKERS", "4"),
            ("PULSE_LEASE_SECONDS", "5"),
            ("PULSE_SHUTDOWN_GRACE_SECONDS", "5"),
            ("PULSE_GOOGLE_RPM", "1000000"),
            ("PULSE_GOOGLE_USER_RPM", "1000000"),
            ("PULSE_GOOGLE_BURST", "1000000"),
            ("PULSE_GOOGLE_USER_BURST", "1000000"),
            ("PULSE_GOOGLE_MAX_ATTEMPTS", "3"),
            ("PULSE_GOOGLE_BACKOFF_BASE_MS", "20"),
            ("PULSE_GOOGLE_BACKOFF_MAX_MS", "200"),
            ("PULSE_GOOGLE_REQUEST_TIMEOUT_MS", "5000"),
            ("RUST_LOG", "info"),
            ("NO_COLOR", "1"),
        ] {
            config.vars.insert(name.to_owned(), value.to_owned());
        }
        config.set("PULSE_BIND", &format!("127.0.0.1:{port}"));
        config
    }

    /// Points the server at a fake Google, with its own callback as the redirect URL.
    pub fn with_google(mut self, google: &FakeGoogle) -> Self {
        let redirect = self.url(CALLBACK_PATH);
        for (name, value) in google.env_vars(&redirect) {
            self.vars.insert(name.to_owned(), value);
        }
        self
    }

    /// Sets (or replaces) a variable.
    pub fn set(&mut self, name: &str, value: &str) -> &mut Self {
        self.vars.insert(name.to_owned(), value.to_owned());
        self
    }

    /// Like [`ServerConfig::set`], by value.
    pub fn with(mut self, name: &str, value: &str) -> Self {
        self.set(name, value);
        self
    }

    /// Leaves a variable unset.
    pub fn remove(&mut self, name: &str) -> &mut Self {
        self.vars.remove(name);
        self
    }

    /// A variable's value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// Every variable.
    pub fn vars(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Moves the server to another free port (for a second process on the same database); the
    /// Google redirect follows.
    pub fn on_new_port(&self) -> Self {
        let mut moved = self.clone();
        let old_origin = self.origin();
        moved.port = free_port();
        let new_origin = moved.origin();
        moved.set("PULSE_BIND", &format!("127.0.0.1:{}", moved.port));
        for value in moved.vars.values_mut() {
            if value.starts_with(&old_origin) {
                *value = value.replacen(&old_origin, &new_origin, 1);
            }
        }
        moved
    }

    /// The port the server will listen on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT`.
    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The absolute URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin())
    }
}

/// A loopback port that was free a moment ago (the OS hands ports out in turn, so another test
/// starting at the same time gets another one).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    listener.local_addr().expect("the bound address").port()
}
