//! The HTTP server of `/health/live`, `/health/ready` and `/metrics` (axum).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tokio_util::sync::CancellationToken;

use super::prometheus::{MetricSources, render};

/// Why the endpoint could not start.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    /// The address could not be bound.
    #[error("cannot listen on {address} (imap.sidecar.http.address): {source}")]
    Listen {
        /// The address.
        address: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
}

#[derive(Clone)]
struct Shared {
    ready: Arc<AtomicBool>,
    sources: MetricSources,
}

/// The running endpoint; stops when dropped or [`OpsEndpoint::stop`]ped.
#[derive(Debug)]
pub struct OpsEndpoint {
    address: SocketAddr,
    ready: Arc<AtomicBool>,
    stop: CancellationToken,
}

impl OpsEndpoint {
    /// Binds `address` and serves in the background; `/health/ready` answers 503 until
    /// [`OpsEndpoint::set_ready`] is called with `true`.
    pub async fn start(address: SocketAddr, sources: MetricSources) -> Result<Self, OpsError> {
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|source| OpsError::Listen { address, source })?;
        let bound = listener
            .local_addr()
            .map_err(|source| OpsError::Listen { address, source })?;
        let ready = Arc::new(AtomicBool::new(false));
        let shared = Shared {
            ready: ready.clone(),
            sources,
        };
        let app = Router::new()
            .route("/health/live", get(live))
            .route("/health/ready", get(ready_probe))
            .route("/metrics", get(metrics))
            .with_state(shared);
        let stop = CancellationToken::new();
        let stopped = stop.clone();
        tokio::spawn(async move {
            let server = axum::serve(listener, app)
                .with_graceful_shutdown(async move { stopped.cancelled().await });
            if let Err(error) = server.await {
                tracing::warn!(%error, "the health and metrics endpoint stopped");
            }
        });
        tracing::info!(address = %bound, "health and metrics endpoint listening");
        Ok(Self {
            address: bound,
            ready,
            stop,
        })
    }

    /// The bound address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Sets what `/health/ready` answers: 200 when true, 503 when false.
    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Release);
    }

    /// Stops serving.
    pub fn stop(&self) {
        self.stop.cancel();
    }
}

impl Drop for OpsEndpoint {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn live() -> &'static str {
    "live\n"
}

async fn ready_probe(State(shared): State<Shared>) -> (StatusCode, &'static str) {
    if shared.ready.load(Ordering::Acquire) {
        (StatusCode::OK, "ready\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready\n")
    }
}

async fn metrics(State(shared): State<Shared>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        render(&shared.sources),
    )
}
