//! Taking libpq's TLS parameters (`sslmode`, `sslrootcert`) out of a connection string, so the
//! rest can go to tokio-postgres, which knows fewer modes and verifies no certificate itself.

use std::path::PathBuf;

/// A connection string with its TLS parameters taken out.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct SplitUrl {
    /// The connection string without `sslmode` and `sslrootcert`.
    pub(super) rest: String,
    /// `sslmode`, decoded, when given.
    pub(super) sslmode: Option<String>,
    /// `sslrootcert`, decoded, when given.
    pub(super) sslrootcert: Option<String>,
}

/// Splits a URL (`scheme://…?a=b&sslmode=…`) or a `key=value key=value` string.
pub(super) fn split_tls_parameters(url: &str) -> SplitUrl {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        split_url(url)
    } else {
        split_key_values(url)
    }
}

fn split_url(url: &str) -> SplitUrl {
    let (before_fragment, fragment) = match url.find('#') {
        Some(index) => url.split_at(index),
        None => (url, ""),
    };
    let Some((base, query)) = before_fragment.split_once('?') else {
        return SplitUrl {
            rest: url.to_owned(),
            ..SplitUrl::default()
        };
    };
    let mut split = SplitUrl::default();
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match percent_decode(key).as_str() {
            "sslmode" => split.sslmode = Some(percent_decode(value)),
            "sslrootcert" => split.sslrootcert = Some(percent_decode(value)),
            _ => kept.push(pair),
        }
    }
    split.rest = if kept.is_empty() {
        format!("{base}{fragment}")
    } else {
        format!("{base}?{}{fragment}", kept.join("&"))
    };
    split
}

fn split_key_values(text: &str) -> SplitUrl {
    let mut split = SplitUrl::default();
    let mut kept = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let Some(pair) = next_pair(rest) else {
            // Not a `keyword = value` pair: tokio-postgres parses (and reports) the remainder.
            kept.push(rest);
            break;
        };
        match pair.keyword {
            "sslmode" => split.sslmode = Some(pair.value),
            "sslrootcert" => split.sslrootcert = Some(pair.value),
            _ => kept.push(&rest[..pair.len]),
        }
        rest = rest[pair.len..].trim_start();
    }
    split.rest = kept.join(" ");
    split
}

/// One `keyword = value` pair of a connection string, as libpq reads it.
struct Pair<'a> {
    keyword: &'a str,
    /// The value with its quotes and backslash escapes undone.
    value: String,
    /// The pair's length in the text, quotes included.
    len: usize,
}

/// The pair at the start of `text`, by libpq's rules: spaces may surround `=`; a value is
/// either in single quotes (where `\'` and `\\` escape) or runs to the next whitespace (with
/// backslash escapes too). `None` when `text` does not start with a complete pair.
fn next_pair(text: &str) -> Option<Pair<'_>> {
    let keyword_end = text.find(|c: char| c == '=' || c.is_whitespace())?;
    let keyword = &text[..keyword_end];
    let value_text = text[keyword_end..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let value_start = text.len() - value_text.len();
    let quoted = value_text.starts_with('\'');
    let mut value = String::new();
    let mut end = None;
    let mut chars = value_text.char_indices().skip(usize::from(quoted));
    while let Some((index, c)) = chars.next() {
        match c {
            '\\' => value.extend(chars.next().map(|(_, escaped)| escaped)),
            '\'' if quoted => {
                end = Some(index + 1);
                break;
            }
            c if c.is_whitespace() && !quoted => {
                end = Some(index);
                break;
            }
            c => value.push(c),
        }
    }
    let end = match end {
        Some(end) => end,
        // An unquoted value may end the string; a quoted one must be closed.
        None if !quoted => value_text.len(),
        None => return None,
    };
    Some(Pair {
        keyword,
        value,
        len: value_start + end,
    })
}

/// `%XX` sequences decoded (and `+` kept as is, as libpq does); invalid ones left alone.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let hex = bytes
            .get(index + 1..index + 3)
            .and_then(|pair| std::str::from_utf8(pair).ok())
            .and_then(|pair| u8::from_str_radix(pair, 16).ok());
        match (bytes[index], hex) {
            (b'%', Some(byte)) => {
                decoded.push(byte);
                index += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// libpq's default root certificate file, `~/.postgresql/root.crt`, when it exists.
pub(super) fn default_root_file() -> Option<PathBuf> {
    let home = std::env::var_os("HOME")?;
    let path = PathBuf::from(home).join(".postgresql").join("root.crt");
    path.is_file().then_some(path)
}

#[cfg(test)]
mod tests {
    use super::{SplitUrl, split_tls_parameters};

    #[test]
    fn takes_the_tls_parameters_out_of_a_url_and_keeps_the_rest() {
        assert_eq!(
            split_tls_parameters(
                "postgres://u:p%40ss@db.example:6543/app?sslmode=verify-full&application_name=x&sslrootcert=%2Fetc%2Fca.pem"
            ),
            SplitUrl {
                rest: "postgres://u:p%40ss@db.example:6543/app?application_name=x".to_owned(),
                sslmode: Some("verify-full".to_owned()),
                sslrootcert: Some("/etc/ca.pem".to_owned()),
            }
        );
        assert_eq!(
            split_tls_parameters("postgresql://h/db?sslmode=require").rest,
            "postgresql://h/db"
        );
        assert_eq!(
            split_tls_parameters("postgres://h/db").rest,
            "postgres://h/db"
        );
    }

    #[test]
    fn reads_quoted_values_and_spaces_around_the_equals_sign_as_libpq_does() {
        assert_eq!(
            split_tls_parameters(
                "host=h password='a  b\\'c' sslmode = 'verify-full' sslrootcert='/my dir/ca.pem' \
                 dbname = d application_name=x\\ y"
            ),
            SplitUrl {
                rest: "host=h password='a  b\\'c' dbname = d application_name=x\\ y".to_owned(),
                sslmode: Some("verify-full".to_owned()),
                sslrootcert: Some("/my dir/ca.pem".to_owned()),
            }
        );
        // What is not a complete pair is left to tokio-postgres, which reports it.
        assert_eq!(
            split_tls_parameters("sslmode=require host='h").rest,
            "host='h"
        );
        assert_eq!(split_tls_parameters("host=h junk").rest, "host=h junk");
    }

    #[test]
    fn takes_the_tls_parameters_out_of_a_key_value_string() {
        assert_eq!(
            split_tls_parameters("host=h user=u sslmode=verify-ca sslrootcert=system dbname=d"),
            SplitUrl {
                rest: "host=h user=u dbname=d".to_owned(),
                sslmode: Some("verify-ca".to_owned()),
                sslrootcert: Some("system".to_owned()),
            }
        );
    }
}
