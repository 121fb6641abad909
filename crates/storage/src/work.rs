//! `Work`: a pooled connection for one use case, inside a transaction when the use case (or the
//! pooler) needs one, committed explicitly and rolled back when dropped.

use std::ops::{Deref, DerefMut};

use diesel_async::{AnsiTransactionManager, AsyncPgConnection, TransactionManager};

use crate::error::StorageError;
use crate::pool::PooledConnection;

/// A connection checked out for one use case; deref to run statements on it.
pub struct Work {
    connection: Option<PooledConnection>,
    in_transaction: bool,
}

impl Work {
    /// A connection outside any transaction (each statement commits by itself).
    pub(crate) fn plain(connection: PooledConnection) -> Self {
        Self {
            connection: Some(connection),
            in_transaction: false,
        }
    }

    /// A connection inside a transaction opened by `begin_sql` (one simple-query round trip).
    pub(crate) async fn begin(
        mut connection: PooledConnection,
        begin_sql: &str,
    ) -> Result<Self, StorageError> {
        AnsiTransactionManager::begin_transaction_sql(&mut *connection, begin_sql).await?;
        Ok(Self {
            connection: Some(connection),
            in_transaction: true,
        })
    }

    /// Commits the transaction, if there is one, and gives the connection back to the pool.
    pub async fn commit(mut self) -> Result<(), StorageError> {
        if self.in_transaction
            && let Some(connection) = self.connection.as_mut()
        {
            self.in_transaction = false;
            AnsiTransactionManager::commit_transaction(&mut **connection).await?;
        }
        Ok(())
    }
}

impl Deref for Work {
    type Target = AsyncPgConnection;

    fn deref(&self) -> &AsyncPgConnection {
        match &self.connection {
            Some(connection) => connection,
            None => unreachable!("the connection is taken only when the work is dropped"),
        }
    }
}

impl DerefMut for Work {
    fn deref_mut(&mut self) -> &mut AsyncPgConnection {
        match &mut self.connection {
            Some(connection) => connection,
            None => unreachable!("the connection is taken only when the work is dropped"),
        }
    }
}

impl Drop for Work {
    /// An unfinished transaction is rolled back in the background before the connection goes
    /// back to the pool; a connection whose state is unknown (a cancelled statement) is closed.
    fn drop(&mut self) {
        if !self.in_transaction {
            return;
        }
        let Some(mut connection) = self.connection.take() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            // No runtime to roll back on: closing the connection makes the server roll back.
            drop(PooledConnection::take(connection));
            return;
        };
        runtime.spawn(async move {
            if AnsiTransactionManager::rollback_transaction(&mut *connection)
                .await
                .is_err()
            {
                drop(PooledConnection::take(connection));
            }
        });
    }
}
