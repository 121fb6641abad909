//! `ServerProcess`: the real `pulse-sync serve` started on a free loopback port with a database
//! and environment of the benchmark's choosing, its log in a file, ready once `/readyz` answers
//! 200; stopped with SIGTERM (and killed if it lingers or is dropped).

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

use crate::error::BenchError;

/// The longest the server may take to become ready.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// The longest it may take to stop after SIGTERM.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// A running `pulse-sync serve`.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    address: SocketAddr,
}

impl ServerProcess {
    /// Starts `binary serve` on a free loopback port with `env`, logging to `log_file`, and
    /// waits until it is ready.
    pub async fn start(
        binary: &Path,
        env: &[(&str, String)],
        log_file: &Path,
    ) -> Result<Self, BenchError> {
        let address = free_loopback_address()?;
        let log = std::fs::File::create(log_file)
            .map_err(BenchError::io(format!("create {}", log_file.display())))?;
        let log_err = log
            .try_clone()
            .map_err(BenchError::io("share the server's log file"))?;
        let child = Command::new(binary)
            .arg("serve")
            .envs(env.iter().map(|(name, value)| (*name, value.as_str())))
            .env("PULSE_BIND", address.to_string())
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .kill_on_drop(true)
            .spawn()
            .map_err(BenchError::io(format!("start {} serve", binary.display())))?;
        let mut server = Self { child, address };
        server.wait_ready(log_file).await?;
        Ok(server)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    async fn wait_ready(&mut self, log_file: &Path) -> Result<(), BenchError> {
        let started = Instant::now();
        while started.elapsed() < READY_TIMEOUT {
            if let Some(status) = self
                .child
                .try_wait()
                .map_err(BenchError::io("wait for the server"))?
            {
                return Err(BenchError::Invalid(format!(
                    "pulse-sync serve exited ({status}); see {}",
                    log_file.display()
                )));
            }
            if http_status(self.address, "/readyz").await == Some(200) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(BenchError::Invalid(format!(
            "pulse-sync serve was not ready within {} s; see {}",
            READY_TIMEOUT.as_secs(),
            log_file.display()
        )))
    }

    /// Sends SIGTERM and waits for the exit (kills it after the stop timeout).
    pub async fn stop(mut self) -> Result<(), BenchError> {
        if let Some(pid) = self.child.id() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(pid.to_string())
                .status()
                .await;
        }
        match tokio::time::timeout(STOP_TIMEOUT, self.child.wait()).await {
            Ok(waited) => waited
                .map(|_| ())
                .map_err(BenchError::io("wait for the server")),
            Err(_) => {
                let _ = self.child.kill().await;
                Err(BenchError::Invalid(format!(
                    "pulse-sync serve did not stop within {} s of SIGTERM",
                    STOP_TIMEOUT.as_secs()
                )))
            }
        }
    }
}

/// A loopback address whose port was free a moment ago.
fn free_loopback_address() -> Result<SocketAddr, BenchError> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(BenchError::io("find a free loopback port"))?;
    listener
        .local_addr()
        .map_err(BenchError::io("read the free port"))
}

/// The status code of a plain `GET path` (HTTP/1.1, connection closed after), if any answer.
pub async fn http_status(address: SocketAddr, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(address).await.ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut head = [0_u8; 64];
    let read = stream.read(&mut head).await.ok()?;
    let line = std::str::from_utf8(head.get(..read)?).ok()?;
    line.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}
