//! `Prepared`: a hand-written SQL statement that the connection may keep as a prepared statement.
//!
//! diesel's `sql_query` and `dsl::sql` mark themselves unsafe to cache, so each of their
//! executions costs a `Parse` round trip. A `Prepared` is keyed in diesel's statement cache by its
//! SQL text and bind types: on a direct connection (or a session pooler) the second execution
//! skips the `Parse`; with `PULSE_DATABASE_POOLER=transaction` the cache is disabled on the
//! connection (see [`crate::connection`]), so nothing named outlives a transaction.

use diesel::QueryResult;
use diesel::expression::{AsExpression, TypedExpressionType};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{SqlType, Untyped};

/// One piece of a statement: SQL text, or a bound value (rendered as its `$n` placeholder).
enum Piece<'a> {
    Sql(&'static str),
    Bind(Box<dyn QueryFragment<Pg> + Send + 'a>),
}

/// A statement built from SQL pieces and bound values in the order they appear.
#[must_use = "a statement runs only when loaded or executed"]
pub(crate) struct Prepared<'a> {
    pieces: Vec<Piece<'a>>,
}

impl<'a> Prepared<'a> {
    /// A statement starting with `sql`.
    pub(crate) fn new(sql: &'static str) -> Self {
        Self {
            pieces: vec![Piece::Sql(sql)],
        }
    }

    /// Appends SQL text.
    pub(crate) fn sql(mut self, sql: &'static str) -> Self {
        self.pieces.push(Piece::Sql(sql));
        self
    }

    /// Appends a bound value of SQL type `T` (its placeholder, `$n`, goes here).
    pub(crate) fn bind<T, V>(mut self, value: V) -> Self
    where
        T: SqlType + TypedExpressionType,
        V: AsExpression<T>,
        V::Expression: QueryFragment<Pg> + Send + 'a,
    {
        self.pieces
            .push(Piece::Bind(Box::new(value.as_expression())));
        self
    }
}

impl QueryFragment<Pg> for Prepared<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        for piece in &self.pieces {
            match piece {
                Piece::Sql(sql) => out.push_sql(sql),
                Piece::Bind(value) => value.walk_ast(out.reborrow())?,
            }
        }
        Ok(())
    }
}

impl QueryId for Prepared<'_> {
    type QueryId = ();

    // No static id: the statement cache keys it by its SQL text and bind types instead.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Prepared<'_> {
    type SqlType = Untyped;
}
