//! Counters of repository calls by endpoint (method + route template) and status class.
//!
//! Every attempt counts, retries included: the number is what the repository served. Labels
//! are route templates, so the number of series is bounded and holds no ids or names.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::route::Endpoint;

/// The outcome class of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StatusClass {
    /// 1xx or 2xx.
    Success,
    /// 3xx.
    Redirect,
    /// 4xx.
    ClientError,
    /// 5xx.
    ServerError,
    /// No HTTP answer: connection error or timeout.
    Failed,
}

impl StatusClass {
    /// The class of an HTTP status code.
    pub fn of(status: u16) -> Self {
        match status {
            0..=299 => Self::Success,
            300..=399 => Self::Redirect,
            400..=499 => Self::ClientError,
            _ => Self::ServerError,
        }
    }

    /// `2xx`, `3xx`, `4xx`, `5xx` or `failed`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Success => "2xx",
            Self::Redirect => "3xx",
            Self::ClientError => "4xx",
            Self::ServerError => "5xx",
            Self::Failed => "failed",
        }
    }
}

/// Totals for one endpoint and status class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallStats {
    /// The endpoint, e.g. `GET /nodes/{id}/children`.
    pub endpoint: Endpoint,
    /// The status class.
    pub status: StatusClass,
    /// How many calls.
    pub count: u64,
    /// The sum of their latencies (until the response headers arrived, or the failure).
    pub latency: Duration,
}

/// A copy of all counters at one moment, sorted by endpoint and status class.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetricsSnapshot {
    /// One row per endpoint and status class seen.
    pub calls: Vec<CallStats>,
}

impl MetricsSnapshot {
    /// All calls made.
    pub fn total_calls(&self) -> u64 {
        self.calls.iter().map(|c| c.count).sum()
    }

    /// Calls to one endpoint, any status: `calls("GET", "/nodes/{id}/children")`.
    pub fn calls(&self, method: &str, route: &str) -> u64 {
        self.calls
            .iter()
            .filter(|c| c.endpoint.method == method && c.endpoint.route == route)
            .map(|c| c.count)
            .sum()
    }

    /// The sum of all latencies.
    pub fn total_latency(&self) -> Duration {
        self.calls.iter().map(|c| c.latency).sum()
    }
}

/// One call under way; see [`RestMetrics::in_flight`].
#[derive(Debug)]
pub(crate) struct InFlight {
    counter: Arc<AtomicUsize>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.counter.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The live counters of one client.
#[derive(Debug, Default)]
pub struct RestMetrics {
    total: AtomicU64,
    in_flight: Arc<AtomicUsize>,
    by_endpoint: Mutex<BTreeMap<(Endpoint, StatusClass), (u64, Duration)>>,
}

impl RestMetrics {
    /// Counts one call.
    pub(crate) fn record(&self, endpoint: Endpoint, status: StatusClass, latency: Duration) {
        self.total.fetch_add(1, Ordering::Relaxed);
        let mut map = self
            .by_endpoint
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = map.entry((endpoint, status)).or_default();
        entry.0 += 1;
        entry.1 += latency;
    }

    /// Calls under way now: sent, and their response not yet read to the end or dropped (a
    /// gauge of the connection pool in use; back to its baseline when nothing is pending).
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    /// Counts a call as under way until the returned guard is dropped.
    pub(crate) fn start(&self) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight {
            counter: self.in_flight.clone(),
        }
    }

    /// The number of calls so far (one atomic read).
    pub fn total_calls(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }

    /// A copy of every counter.
    pub fn snapshot(&self) -> MetricsSnapshot {
        let map = self
            .by_endpoint
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        MetricsSnapshot {
            calls: map
                .iter()
                .map(|(&(endpoint, status), &(count, latency))| CallStats {
                    endpoint,
                    status,
                    count,
                    latency,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_endpoint_and_class() {
        let metrics = RestMetrics::default();
        let children = Endpoint {
            method: "GET",
            route: "/nodes/{id}/children",
        };
        let me = Endpoint {
            method: "GET",
            route: "/people/-me-",
        };
        metrics.record(children, StatusClass::of(200), Duration::from_millis(3));
        metrics.record(children, StatusClass::of(200), Duration::from_millis(4));
        metrics.record(children, StatusClass::of(503), Duration::from_millis(1));
        metrics.record(me, StatusClass::Failed, Duration::from_millis(2));
        let snapshot = metrics.snapshot();
        assert_eq!(metrics.total_calls(), 4);
        assert_eq!(snapshot.total_calls(), 4);
        assert_eq!(snapshot.calls("GET", "/nodes/{id}/children"), 3);
        assert_eq!(snapshot.calls("GET", "/people/-me-"), 1);
        assert_eq!(snapshot.calls("POST", "/nodes/{id}/children"), 0);
        assert_eq!(snapshot.total_latency(), Duration::from_millis(10));
        assert_eq!(
            snapshot.calls[0],
            CallStats {
                endpoint: children,
                status: StatusClass::Success,
                count: 2,
                latency: Duration::from_millis(7),
            }
        );
        assert_eq!(StatusClass::of(507).label(), "5xx");
        assert_eq!(StatusClass::of(416).label(), "4xx");
    }
}
