//! Operations: the HTTP endpoint on `imap.sidecar.http.address` with health probes and
//! Prometheus metrics.
//!
//! `/health/live` answers 200 while the process runs; `/health/ready` answers 200 once the
//! listeners are bound and the state store is open (the repository is deliberately not part of
//! readiness: one repository blip must not make an orchestrator drop every replica); `/metrics`
//! renders [`MetricSources`] in the Prometheus text format.

mod endpoint;
mod prometheus;
mod registry;

pub use endpoint::{OpsEndpoint, OpsError};
pub use prometheus::{MetricSources, render};
pub use registry::{Histogram, LATENCY_BUCKETS, Registry, registry};
