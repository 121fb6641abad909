//! Rewriting a PostgreSQL URL to name another database on the same server.

/// `url` with its database (the path) replaced by `name`, keeping credentials and query.
pub fn with_database(url: &str, name: &str) -> String {
    let (scheme, rest) = match url.find("://") {
        Some(index) => url.split_at(index + 3),
        None => ("", url),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, after_authority) = rest.split_at(authority_end);
    let query_start = after_authority
        .find(['?', '#'])
        .unwrap_or(after_authority.len());
    let query = &after_authority[query_start..];
    format!("{scheme}{authority}/{name}{query}")
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn replaces_the_database_and_keeps_everything_else() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u:p@db.example:6543/app?sslmode=require", "t2"),
            "postgres://u:p@db.example:6543/t2?sslmode=require"
        );
        assert_eq!(
            with_database("postgres://postgres@localhost", "t3"),
            "postgres://postgres@localhost/t3"
        );
        assert_eq!(
            with_database("postgres://postgres@/postgres?host=/tmp/s&port=5432", "t4"),
            "postgres://postgres@/t4?host=/tmp/s&port=5432"
        );
    }
}
