//! What every connection's session gets: the pooler it goes through and the timeouts that keep a
//! stuck statement or an abandoned transaction from holding a connection for ever.

use std::time::Duration;

/// What sits between the service and PostgreSQL, which decides how sessions may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PoolerMode {
    /// A direct connection, or a pooler in session mode: the session is ours for its lifetime,
    /// so prepared statements are cached and the timeouts are set once, when it opens.
    #[default]
    Session,
    /// A pooler in transaction mode (PgBouncer `pool_mode = transaction`, Supabase's port
    /// 6543): nothing outlives a transaction, so statements are not cached, every unit of work
    /// runs in a transaction of its own, and the timeouts are set with `SET LOCAL` in it.
    Transaction,
}

impl PoolerMode {
    /// Parses the setting's spelling: `none`/`session` or `transaction`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "" | "none" | "session" => Some(Self::Session),
            "transaction" => Some(Self::Transaction),
            _ => None,
        }
    }

    /// The setting's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Session => "session",
            Self::Transaction => "transaction",
        }
    }
}

/// The server-side timeouts of every session (zero turns one off).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimeouts {
    /// `statement_timeout`: the longest one statement may run.
    pub statement: Duration,
    /// `lock_timeout`: the longest a statement waits for a lock.
    pub lock: Duration,
    /// `idle_in_transaction_session_timeout`: the longest a transaction may sit idle.
    pub idle_in_transaction: Duration,
}

impl Default for SessionTimeouts {
    fn default() -> Self {
        Self {
            statement: Duration::from_secs(30),
            lock: Duration::from_secs(10),
            idle_in_transaction: Duration::from_secs(60),
        }
    }
}

impl SessionTimeouts {
    /// No timeouts at all (for migrations, which may rewrite large tables).
    pub const NONE: Self = Self {
        statement: Duration::ZERO,
        lock: Duration::ZERO,
        idle_in_transaction: Duration::ZERO,
    };

    /// The settings as `(name, milliseconds)` pairs.
    fn pairs(&self) -> [(&'static str, u128); 3] {
        [
            ("statement_timeout", self.statement.as_millis()),
            ("lock_timeout", self.lock.as_millis()),
            (
                "idle_in_transaction_session_timeout",
                self.idle_in_transaction.as_millis(),
            ),
        ]
    }

    /// The statements that set them for the whole session: `SET name = ms; ...`.
    pub(crate) fn set_session(&self) -> String {
        self.statements("SET")
    }

    /// The statements that set them for one transaction: `SET LOCAL name = ms; ...`.
    pub(crate) fn set_local(&self) -> String {
        self.statements("SET LOCAL")
    }

    fn statements(&self, command: &str) -> String {
        self.pairs()
            .iter()
            .map(|(name, millis)| format!("{command} {name} = {millis}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}
