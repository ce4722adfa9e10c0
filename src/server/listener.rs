//! Listeners: accept connections within the connection limit, one task per connection, and
//! shut down gracefully.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::connection::{ConnectionShared, Ending, serve};

/// Gauges of a running server, for health checks, metrics and tests.
#[derive(Debug, Default)]
pub struct Gauges {
    /// Open connections.
    pub connections: AtomicUsize,
    /// Connections accepted since start.
    pub accepted: AtomicUsize,
    /// Connections refused because of the connection limit.
    pub refused: AtomicUsize,
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
        let gauges = Arc::new(Gauges::default());
        let limit = Arc::new(Semaphore::new(max_connections.max(1)));
        let mut addresses = Vec::new();
        for (security, address) in listeners {
            let listener = TcpListener::bind(address).await?;
            let local = listener.local_addr()?;
            addresses.push((security, local));
            tracing::info!(address = %local, ?security, "listening");
            let shared = shared.clone();
            let tracker_inner = tracker.clone();
            let gauges = gauges.clone();
            let limit = limit.clone();
            tracker.spawn(accept_loop(
                listener,
                security,
                shared,
                tracker_inner,
                gauges,
                limit,
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

async fn accept_loop(
    listener: TcpListener,
    security: Security,
    shared: ConnectionShared,
    tracker: TaskTracker,
    gauges: Arc<Gauges>,
    limit: Arc<Semaphore>,
    force: CancellationToken,
) {
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
        let Ok(permit) = limit.clone().try_acquire_owned() else {
            gauges.refused.fetch_add(1, Ordering::Relaxed);
            tracker.spawn(async move {
                use tokio::io::AsyncWriteExt;
                let mut stream = stream;
                let _ = stream
                    .write_all(b"* BYE Too many connections, try again later\r\n")
                    .await;
            });
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
            drop(permit);
        });
    }
}
