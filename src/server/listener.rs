//! Listeners: accept connections within the connection limit, one task per connection, and
//! shut down gracefully.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::connection::{ConnectionShared, Ending, serve};
use crate::imap::context::ConnectionSlots;

/// Gauges of a running server, for health checks, metrics and tests.
#[derive(Debug, Default)]
pub struct Gauges {
    /// Open connections.
    pub connections: AtomicUsize,
    /// Connections accepted since start.
    pub accepted: AtomicUsize,
    /// Connections refused because of the connection limit overall.
    pub refused: AtomicUsize,
    /// Connections refused because their address had too many open.
    pub refused_per_address: AtomicUsize,
    /// Commands delayed by the commands-per-second limit.
    pub throttled: AtomicUsize,
}

/// What a listener does with a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Clear text, STARTTLS if configured.
    Plain,
    /// Implicit TLS (IMAPS).
    Implicit,
}

/// A set of running listeners.
#[derive(Debug)]
pub struct RunningServer {
    addresses: Vec<(Security, SocketAddr)>,
    shutdown: CancellationToken,
    /// Cancelled when the grace period of a shutdown is over: the connections still open
    /// are closed.
    force: CancellationToken,
    tracker: TaskTracker,
    gauges: Arc<Gauges>,
}

impl RunningServer {
    /// Starts listening on every address, serving connections with `shared`.
    pub async fn start(
        listeners: Vec<(Security, SocketAddr)>,
        shared: ConnectionShared,
        max_connections: usize,
    ) -> std::io::Result<Self> {
        let tracker = TaskTracker::new();
        let force = CancellationToken::new();
        let gauges = shared.gauges.clone();
        let limit = Arc::new(Semaphore::new(max_connections.max(1)));
        let per_address = Arc::new(ConnectionSlots::new(
            shared.settings.max_connections_per_address,
        ));
        let mut addresses = Vec::new();
        for (security, address) in listeners {
            let listener = TcpListener::bind(address).await?;
            let local = listener.local_addr()?;
            addresses.push((security, local));
            tracing::info!(address = %local, ?security, "listening");
            let shared = shared.clone();
            let tracker_inner = tracker.clone();
            let limits = Limits {
                overall: limit.clone(),
                per_address: per_address.clone(),
            };
            tracker.spawn(accept_loop(
                listener,
                security,
                shared,
                tracker_inner,
                limits,
                force.clone(),
            ));
        }
        Ok(Self {
            addresses,
            shutdown: shared.shutdown.clone(),
            force,
            tracker,
            gauges,
        })
    }

    /// The bound address of the first listener of a kind.
    pub fn address(&self, security: Security) -> Option<SocketAddr> {
        self.addresses
            .iter()
            .find(|(s, _)| *s == security)
            .map(|(_, a)| *a)
    }

    /// The server's gauges.
    pub fn gauges(&self) -> Arc<Gauges> {
        self.gauges.clone()
    }

    /// Tasks of the server still running: one per listener and one per connection.
    pub fn tasks(&self) -> usize {
        self.tracker.len()
    }

    /// Stops accepting, tells every idle session BYE, waits up to `grace` for the others to
    /// finish their commands, then closes whatever is still open.
    pub async fn shutdown(self, grace: Duration) {
        self.shutdown.cancel();
        self.tracker.close();
        if tokio::time::timeout(grace, self.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!("shutdown grace period over; closing the remaining connections");
            self.force.cancel();
            self.tracker.wait().await;
        }
    }
}

/// The connection limits a listener enforces.
struct Limits {
    overall: Arc<Semaphore>,
    per_address: Arc<ConnectionSlots<IpAddr>>,
}

async fn accept_loop(
    listener: TcpListener,
    security: Security,
    shared: ConnectionShared,
    tracker: TaskTracker,
    limits: Limits,
    force: CancellationToken,
) {
    let gauges = shared.gauges.clone();
    let mut backoff = Duration::from_millis(10);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = shared.shutdown.cancelled() => return,
        };
        let (stream, peer) = match accepted {
            Ok(pair) => {
                backoff = Duration::from_millis(10);
                pair
            }
            Err(error) => {
                // Out of file descriptors and the like: wait a little, then go on.
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(1));
                continue;
            }
        };
        gauges.accepted.fetch_add(1, Ordering::Relaxed);
        let Ok(permit) = limits.overall.clone().try_acquire_owned() else {
            gauges.refused.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(%peer, "connection refused: too many connections");
            tracker.spawn(refuse(stream, "Too many connections, try again later"));
            continue;
        };
        let Some(slot) = limits.per_address.claim(peer.ip()) else {
            gauges.refused_per_address.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(%peer, "connection refused: too many connections from this address");
            tracker.spawn(refuse(stream, "Too many connections from your address"));
            continue;
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let gauges = gauges.clone();
        let force = force.clone();
        tracker.spawn(async move {
            gauges.connections.fetch_add(1, Ordering::Relaxed);
            tracing::info!(%peer, tls = security == Security::Implicit, "connection opened");
            let tls = security == Security::Implicit;
            // Dropping the connection's future closes its socket.
            let ending = tokio::select! {
                ending = serve(stream, peer, tls, shared) => ending,
                () = force.cancelled() => Ending::Shutdown,
            };
            match &ending {
                Ending::Failed(reason) => tracing::info!(%peer, %reason, "connection failed"),
                other => tracing::info!(%peer, ending = ?other, "connection closed"),
            }
            gauges.connections.fetch_sub(1, Ordering::Relaxed);
            drop(slot);
            drop(permit);
        });
    }
}

/// Says BYE to a connection over a limit and closes it.
async fn refuse(mut stream: tokio::net::TcpStream, text: &str) {
    use tokio::io::AsyncWriteExt;
    let _ = stream
        .write_all(format!("* BYE {text}\r\n").as_bytes())
        .await;
    let _ = stream.shutdown().await;
}
