//! Opening connections to PostgreSQL from a `DATABASE_URL`, with TLS as libpq's `sslmode` and
//! `sslrootcert` ask (rustls, no OpenSSL), and sessions fit for the pooler in front of the
//! server. Every connection the service opens (the pool, the job listener, migrations, the
//! command-line tools) comes from [`DatabaseUrl::connect`].

mod error;
mod refusal;
mod session;
mod ssl_mode;
mod tls;
mod url;

use diesel::ConnectionError;
use diesel::connection::CacheSize;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use tokio_postgres::config::{Host, SslMode as WireSslMode};
use tokio_postgres::tls::MakeTlsConnect;
use tokio_postgres::{Client, Connection, Socket};
use tokio_postgres_rustls::MakeRustlsConnect;

pub use error::ConnectError;
pub use session::{PoolerMode, SessionTimeouts};
pub use ssl_mode::{Negotiation, RootCerts, SslMode, TlsPolicy, Verification};

/// The connection half that tokio-postgres hands back, TLS or not.
pub type PgConnection = Connection<Socket, <MakeRustlsConnect as MakeTlsConnect<Socket>>::Stream>;

/// What a session is opened for: the pooler it crosses, its timeouts, and its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionSettings {
    /// The pooler between the service and the server.
    pub pooler: PoolerMode,
    /// The server-side timeouts.
    pub timeouts: SessionTimeouts,
    /// The `application_name` shown in `pg_stat_activity`.
    pub application_name: &'static str,
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            pooler: PoolerMode::Session,
            timeouts: SessionTimeouts::default(),
            application_name: "pulse-sync",
        }
    }
}

/// A parsed `DATABASE_URL`: the server's address and login, and its TLS policy.
#[derive(Clone)]
pub struct DatabaseUrl {
    config: tokio_postgres::Config,
    tls: TlsPolicy,
    connector: MakeRustlsConnect,
    host: String,
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseUrl")
            .field("host", &self.host)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

impl DatabaseUrl {
    /// Parses a URL (`postgres://user:password@host:port/db?sslmode=…&sslrootcert=…`) or a
    /// `key=value` connection string, and loads the roots its TLS policy needs.
    pub fn parse(url: &str) -> Result<Self, ConnectError> {
        let split = url::split_tls_parameters(url);
        let mode = split.sslmode.as_deref().map(SslMode::parse).transpose()?;
        let root = split.sslrootcert.map(|value| {
            if value == "system" {
                RootCerts::System
            } else {
                RootCerts::File(value.into())
            }
        });
        let config: tokio_postgres::Config =
            split.rest.parse().map_err(|error: tokio_postgres::Error| {
                // The cause says what is wrong ("unknown option `x`"), never a value.
                ConnectError::InvalidUrl(refusal::detail(&error))
            })?;
        let mut tls = TlsPolicy::resolve(mode, root, url::default_root_file())?;
        let only_sockets = !config.get_hosts().is_empty()
            && config
                .get_hosts()
                .iter()
                .all(|host| matches!(host, Host::Unix(_)));
        if only_sockets || config.get_hosts().is_empty() {
            // libpq never uses TLS on a Unix-domain socket, whatever sslmode says.
            tls.negotiation = Negotiation::Plain;
        }
        let connector = MakeRustlsConnect::new(tls::client_config(&tls.verification)?);
        let host = describe_hosts(&config);
        Ok(Self {
            config,
            tls,
            connector,
            host,
        })
    }

    /// The same URL with its connection settings adjusted (timeouts, keepalives).
    #[must_use]
    pub fn adjusted(mut self, adjust: impl FnOnce(&mut tokio_postgres::Config)) -> Self {
        adjust(&mut self.config);
        self
    }

    /// The TLS policy in force.
    pub fn tls(&self) -> &TlsPolicy {
        &self.tls
    }

    /// The host (or socket directory) as written, for messages.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Opens one session, trying plain and TLS in the order the mode says.
    pub async fn connect(
        &self,
        session: &SessionSettings,
    ) -> Result<(Client, PgConnection), ConnectError> {
        let attempts: &[WireSslMode] = match self.tls.negotiation {
            Negotiation::Plain => &[WireSslMode::Disable],
            Negotiation::PlainThenTls => &[WireSslMode::Disable, WireSslMode::Require],
            Negotiation::TlsThenPlain => &[WireSslMode::Prefer, WireSslMode::Disable],
            Negotiation::Tls => &[WireSslMode::Require],
        };
        let mut last = None;
        for &wire_mode in attempts {
            match self.attempt(session, wire_mode).await {
                Ok(connected) => return Ok(connected),
                // Another attempt is made only when the server itself refused this one (for
                // example a `hostssl`-only or `hostnossl`-only pg_hba.conf), as libpq does.
                Err(error) => {
                    let refused_by_server = error.as_db_error().is_some();
                    last = Some(error);
                    if !refused_by_server {
                        break;
                    }
                }
            }
        }
        Err(match last {
            Some(error) => self.explain(&error),
            None => ConnectError::InvalidUrl("no connection attempt".to_owned()),
        })
    }

    /// A diesel-async connection with `session`'s settings (statement caching off behind a
    /// transaction pooler, where a named statement would outlive its transaction).
    pub async fn connect_diesel(
        &self,
        session: &SessionSettings,
    ) -> Result<AsyncPgConnection, ConnectError> {
        let (client, mut connection) = self.connect(session).await?;
        let server_error = |detail: String| ConnectError::Server {
            host: self.host.clone(),
            mode: self.tls.mode,
            detail,
        };
        let pooled = session.pooler == PoolerMode::Transaction;
        if pooled {
            // diesel-async prepares (and caches) its two setup statements as named statements
            // outside any transaction. Behind a transaction pooler they run inside this one, so
            // they stay on one server connection, and leave nothing there once it commits.
            // The connection is not driven by a task yet: drive it here until BEGIN is done.
            tokio::select! {
                begun = client.batch_execute("BEGIN") => {
                    begun.map_err(|error| server_error(error.to_string()))?;
                }
                ended = &mut connection => {
                    let detail = match ended {
                        Ok(()) => "the server closed the connection".to_owned(),
                        Err(error) => error.to_string(),
                    };
                    return Err(server_error(detail));
                }
            }
        }
        let mut connection = AsyncPgConnection::try_from_client_and_connection(client, connection)
            .await
            .map_err(|error| server_error(error.to_string()))?;
        let finish = if pooled {
            connection.set_prepared_statement_cache_size(CacheSize::Disabled);
            "DEALLOCATE ALL; COMMIT".to_owned()
        } else {
            // Set once for the session's lifetime, with SET rather than startup options, which
            // session poolers (PgBouncer without ignore_startup_parameters) refuse.
            session.timeouts.set_session()
        };
        connection
            .batch_execute(&finish)
            .await
            .map_err(|error| server_error(error.to_string()))?;
        Ok(connection)
    }

    /// Like [`DatabaseUrl::connect_diesel`], with diesel's error type (for the pool's setup hook).
    pub async fn establish(
        &self,
        session: &SessionSettings,
    ) -> Result<AsyncPgConnection, ConnectionError> {
        self.connect_diesel(session)
            .await
            .map_err(|error| ConnectionError::BadConnection(error.to_string()))
    }

    async fn attempt(
        &self,
        session: &SessionSettings,
        wire_mode: WireSslMode,
    ) -> Result<(Client, PgConnection), tokio_postgres::Error> {
        let mut config = self.config.clone();
        config
            .ssl_mode(wire_mode)
            .application_name(session.application_name);
        config.connect(self.connector.clone()).await
    }

    fn explain(&self, error: &tokio_postgres::Error) -> ConnectError {
        match refusal::tls_reason(error, &self.host) {
            Some(reason) => ConnectError::Tls {
                host: self.host.clone(),
                mode: self.tls.mode,
                reason,
            },
            None => ConnectError::Server {
                host: self.host.clone(),
                mode: self.tls.mode,
                detail: refusal::detail(error),
            },
        }
    }
}

/// The hosts of `config`, comma-separated, as written.
fn describe_hosts(config: &tokio_postgres::Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|host| match host {
            Host::Tcp(name) => name.clone(),
            Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    if hosts.is_empty() {
        "the default socket".to_owned()
    } else {
        hosts.join(",")
    }
}

/// One diesel-async connection to `url` with the default session (TLS as the URL says).
pub async fn establish(url: &str) -> Result<AsyncPgConnection, ConnectError> {
    DatabaseUrl::parse(url)?
        .connect_diesel(&SessionSettings::default())
        .await
}

/// One tokio-postgres client for `url` with the default session (TLS as the URL says); its
/// connection is driven on a task of the current runtime until the client is dropped.
pub async fn connect_client(url: &str) -> Result<Client, ConnectError> {
    let (client, connection) = DatabaseUrl::parse(url)?
        .connect(&SessionSettings::default())
        .await?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "database connection ended");
        }
    });
    Ok(client)
}

#[cfg(test)]
mod tests;
