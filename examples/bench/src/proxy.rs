//! A counting TCP proxy: forwards 127.0.0.1:<random port> to a database server and counts
//! round trips, i.e. client-to-server *turns*: each time the client sends after having
//! received data (or for the first time on a connection), that is one round trip. Bytes
//! that the client sends back to back without waiting for an answer (pipelining) are one
//! turn; every turn costs at least one network latency in production.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

pub struct Proxy {
    port: u16,
    turns: Arc<AtomicU64>,
    pings: Arc<AtomicU64>,
    relaxed: Arc<AtomicU64>,
    connections: Arc<AtomicU64>,
    accept: JoinHandle<()>,
}

impl Proxy {
    /// Listens on a random port of 127.0.0.1 and forwards every connection to `upstream`
    /// (`host:port`).
    pub async fn start(upstream: String) -> std::io::Result<Proxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let turns = Arc::new(AtomicU64::new(0));
        let pings = Arc::new(AtomicU64::new(0));
        let relaxed = Arc::new(AtomicU64::new(0));
        let connections = Arc::new(AtomicU64::new(0));
        let accept = {
            let turns = turns.clone();
            let pings = pings.clone();
            let relaxed = relaxed.clone();
            let connections = connections.clone();
            tokio::spawn(async move {
                while let Ok((client, _)) = listener.accept().await {
                    connections.fetch_add(1, Ordering::SeqCst);
                    let upstream = upstream.clone();
                    let turns = turns.clone();
                    let pings = pings.clone();
                    let relaxed = relaxed.clone();
                    tokio::spawn(async move {
                        if let Ok(server) = TcpStream::connect(&upstream).await {
                            forward(client, server, turns, pings, relaxed).await;
                        }
                    });
                }
            })
        };
        Ok(Proxy {
            port,
            turns,
            pings,
            relaxed,
            connections,
            accept,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Starts counting afresh (turns and connections opened).
    pub fn reset(&self) {
        self.turns.store(0, Ordering::SeqCst);
        self.pings.store(0, Ordering::SeqCst);
        self.relaxed.store(0, Ordering::SeqCst);
        self.connections.store(0, Ordering::SeqCst);
    }

    /// Round trips since the last reset, over all connections.
    pub fn turns(&self) -> u64 {
        self.turns.load(Ordering::SeqCst)
    }

    /// Of those, turns that were only a connection-pool health check: a PostgreSQL `Sync`
    /// message alone (sqlx's ping) or a MySQL `COM_PING`.
    pub fn pings(&self) -> u64 {
        self.pings.load(Ordering::SeqCst)
    }

    /// Client messages that mention `synchronous_commit` (a PostgreSQL client relaxing the
    /// durability of its commits), so that the report can say so.
    pub fn relaxed_commits(&self) -> u64 {
        self.relaxed.load(Ordering::SeqCst)
    }

    /// Connections opened through the proxy since the last reset.
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// PostgreSQL `Sync` (`S`, length 4) and MySQL `COM_PING` (length 1, sequence 0, 0x0e).
fn is_ping(bytes: &[u8]) -> bool {
    bytes == [b'S', 0, 0, 0, 4] || bytes == [1, 0, 0, 0, 0x0e]
}

fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

async fn forward(
    client: TcpStream,
    server: TcpStream,
    turns: Arc<AtomicU64>,
    pings: Arc<AtomicU64>,
    relaxed: Arc<AtomicU64>,
) {
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    // True when the server spoke last (or nobody has yet): the client's next bytes start a turn.
    let server_spoke = Arc::new(AtomicBool::new(true));
    // MIGRATE_BENCH_TRACE=1 prints the start of each turn.
    let trace = std::env::var_os("MIGRATE_BENCH_TRACE").is_some();
    let upstream = {
        let server_spoke = server_spoke.clone();
        async move {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = match client_read.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                if server_spoke.swap(false, Ordering::SeqCst) {
                    let turn = turns.fetch_add(1, Ordering::SeqCst) + 1;
                    if is_ping(&buf[..n]) {
                        pings.fetch_add(1, Ordering::SeqCst);
                    }
                    if trace {
                        // The start of what the client sent, for finding out what a turn is.
                        let text: String = buf[..n.min(120)]
                            .iter()
                            .map(|&b| {
                                if b.is_ascii_graphic() || b == b' ' {
                                    b as char
                                } else {
                                    '.'
                                }
                            })
                            .collect();
                        eprintln!("    [proxy] turn {turn}: {n} bytes: {text}");
                    }
                }
                if contains_ignore_case(&buf[..n], b"synchronous_commit") {
                    relaxed.fetch_add(1, Ordering::SeqCst);
                }
                if server_write.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
            let _ = server_write.shutdown().await;
        }
    };
    let downstream = async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match server_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            // Set before the client can see the bytes, so that its answer counts.
            server_spoke.store(true, Ordering::SeqCst);
            if client_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = client_write.shutdown().await;
    };
    tokio::join!(upstream, downstream);
}
