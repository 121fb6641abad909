//! Raw HTTP/1.1 over a loopback socket, for requests a well-behaved client refuses to send
//! (invalid UTF-8 in the request line, header floods, duplicate headers, bodies that lie about
//! their length): writes the bytes, reads whatever comes back until the server closes.

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long a raw exchange may take.
const RAW_PATIENCE: Duration = Duration::from_secs(30);

/// What came back: a parsed answer, or nothing (the server closed the connection first).
#[derive(Debug, Clone)]
pub struct RawAnswer {
    /// The status code, when a status line came back.
    pub status: Option<u16>,
    /// The header block, lower-cased names.
    pub headers: Vec<(String, String)>,
    /// The body (de-chunked).
    pub body: Vec<u8>,
}

impl RawAnswer {
    /// The body as JSON, or `Null`.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends `request` (the whole request, head and body) to `host:port` and reads the answer.
/// The write may be cut short by a server that answers early; that is not an error.
pub async fn exchange(address: &str, request: &[u8]) -> RawAnswer {
    tokio::time::timeout(RAW_PATIENCE, exchange_unbounded(address, request))
        .await
        .unwrap_or_else(|_| panic!("no answer within {} s (a hang)", RAW_PATIENCE.as_secs()))
}

async fn exchange_unbounded(address: &str, request: &[u8]) -> RawAnswer {
    let stream = TcpStream::connect(address)
        .await
        .unwrap_or_else(|error| panic!("cannot connect to {address}: {error}"));
    let (mut reader, mut writer) = stream.into_split();
    let body = request.to_vec();
    let writing = tokio::spawn(async move {
        let _ = writer.write_all(&body).await;
        let _ = writer.shutdown().await;
    });
    let mut received = Vec::new();
    let _ = reader.read_to_end(&mut received).await;
    writing.abort();
    parse(&received)
}

fn parse(received: &[u8]) -> RawAnswer {
    let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") else {
        return RawAnswer {
            status: None,
            headers: Vec::new(),
            body: Vec::new(),
        };
    };
    let head = String::from_utf8_lossy(&received[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok());
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let raw_body = &received[end + 4..];
    let chunked = headers
        .iter()
        .any(|(name, value)| name == "transfer-encoding" && value.contains("chunked"));
    let body = if chunked {
        dechunk(raw_body)
    } else {
        raw_body.to_vec()
    };
    RawAnswer {
        status,
        headers,
        body,
    }
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    while let Some(line_end) = raw.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&raw[..line_end])
            .ok()
            .and_then(|text| usize::from_str_radix(text.split(';').next()?.trim(), 16).ok())
            .unwrap_or(0);
        raw = &raw[line_end + 2..];
        if size == 0 || raw.len() < size {
            break;
        }
        body.extend_from_slice(&raw[..size]);
        raw = raw.get(size + 2..).unwrap_or_default();
    }
    body
}
