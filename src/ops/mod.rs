//! Operations: the HTTP endpoint on `imap.sidecar.http.address` with health probes and
//! Prometheus metrics, and the counters behind them.
//!
//! `/health/live` answers 200 while the process runs; `/health/ready` answers 200 once the
//! listeners are bound and the state store is open (the repository is deliberately not part of
//! readiness: one repository blip must not make an orchestrator drop every replica); `/metrics`
//! renders [`MetricSources`] and the process-wide [`registry()`] in the Prometheus text format.
//! Client connections are counted through [`CountedStream`], the state store through
//! [`timed_store`].

mod counted_stream;
mod endpoint;
mod prometheus;
mod registry;
mod timed_store;

pub use counted_stream::CountedStream;
pub use endpoint::{OpsEndpoint, OpsError};
pub use prometheus::{MetricSources, render};
pub use registry::{Cache, CacheCounts, Histogram, LATENCY_BUCKETS, Registry, registry};
pub use timed_store::timed_store;
