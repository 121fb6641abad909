//! A loopback TCP proxy in front of the test database that can refuse new connections and cut the
//! open ones: a database that goes away and comes back, as clients see it.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream, UnixStream};
use tokio_postgres::config::Host;
use tokio_util::sync::CancellationToken;

/// Where the proxy forwards to.
#[derive(Clone)]
enum Upstream {
    Tcp(String),
    Unix(PathBuf),
}

struct State {
    open: AtomicBool,
    refused: AtomicUsize,
    forwarded: AtomicUsize,
    generation: Mutex<CancellationToken>,
}

/// The proxy; it stops when dropped.
pub struct DbProxy {
    url: String,
    state: Arc<State>,
    stop: CancellationToken,
}

impl DbProxy {
    /// Starts a proxy (open) in front of the database of `database_url`.
    pub async fn start(database_url: &str) -> Self {
        let config: tokio_postgres::Config = match database_url.parse() {
            Ok(config) => config,
            Err(error) => panic!("unreadable database URL: {error}"),
        };
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let upstream = match config.get_hosts().first() {
            Some(Host::Tcp(host)) => Upstream::Tcp(format!("{host}:{port}")),
            Some(Host::Unix(dir)) => Upstream::Unix(dir.join(format!(".s.PGSQL.{port}"))),
            None => Upstream::Tcp(format!("127.0.0.1:{port}")),
        };
        let listener = match TcpListener::bind("127.0.0.1:0").await {
            Ok(listener) => listener,
            Err(error) => panic!("cannot bind the proxy: {error}"),
        };
        let local = match listener.local_addr() {
            Ok(address) => address,
            Err(error) => panic!("the proxy has no address: {error}"),
        };
        let user = config.get_user().unwrap_or("postgres");
        let database = config.get_dbname().unwrap_or("postgres");
        let state = Arc::new(State {
            open: AtomicBool::new(true),
            refused: AtomicUsize::new(0),
            forwarded: AtomicUsize::new(0),
            generation: Mutex::new(CancellationToken::new()),
        });
        let stop = CancellationToken::new();
        tokio::spawn(accept_loop(
            listener,
            upstream,
            Arc::clone(&state),
            stop.clone(),
        ));
        Self {
            url: format!("postgres://{user}@{local}/{database}"),
            state,
            stop,
        }
    }

    /// The database URL through the proxy.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Opens (forwards new connections) or closes (accepts and drops them at once) the proxy.
    pub fn set_open(&self, open: bool) {
        self.state.open.store(open, Ordering::SeqCst);
    }

    /// Cuts every connection open now.
    pub fn cut_all(&self) {
        let mut generation = match self.state.generation.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        generation.cancel();
        *generation = CancellationToken::new();
    }

    /// Connections refused while closed.
    pub fn refused(&self) -> usize {
        self.state.refused.load(Ordering::SeqCst)
    }

    /// Connections forwarded while open.
    pub fn forwarded(&self) -> usize {
        self.state.forwarded.load(Ordering::SeqCst)
    }
}

impl Drop for DbProxy {
    fn drop(&mut self) {
        self.stop.cancel();
        self.cut_all();
    }
}

async fn accept_loop(
    listener: TcpListener,
    upstream: Upstream,
    state: Arc<State>,
    stop: CancellationToken,
) {
    loop {
        let accepted = tokio::select! {
            () = stop.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((client, _)) = accepted else { continue };
        if !state.open.load(Ordering::SeqCst) {
            state.refused.fetch_add(1, Ordering::SeqCst);
            drop(client);
            continue;
        }
        state.forwarded.fetch_add(1, Ordering::SeqCst);
        let cut = match state.generation.lock() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        tokio::spawn(forward(client, upstream.clone(), cut));
    }
}

async fn forward(mut client: TcpStream, upstream: Upstream, cut: CancellationToken) {
    match upstream {
        Upstream::Tcp(address) => {
            if let Ok(mut server) = TcpStream::connect(address).await {
                tokio::select! {
                    () = cut.cancelled() => {}
                    _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                }
            }
        }
        Upstream::Unix(path) => {
            if let Ok(mut server) = UnixStream::connect(path).await {
                tokio::select! {
                    () = cut.cancelled() => {}
                    _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                }
            }
        }
    }
}
