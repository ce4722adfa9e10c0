//! Process-wide counters the IMAP layer records into: commands (by name and result, with a
//! latency histogram) and logins (by result). Read by [`super::render`].

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// Upper bounds in seconds of the command latency buckets (`le` labels); `+Inf` is implied.
pub const LATENCY_BUCKETS: [f64; 10] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 30.0];

/// A latency histogram: how many observations fell at or below each bound, their count and sum.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histogram {
    /// Cumulative counts, one per [`LATENCY_BUCKETS`] bound.
    pub buckets: [u64; LATENCY_BUCKETS.len()],
    /// All observations.
    pub count: u64,
    /// Their sum in seconds.
    pub sum: f64,
}

impl Histogram {
    /// Adds one observation.
    pub fn observe(&mut self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        for (bucket, bound) in self.buckets.iter_mut().zip(LATENCY_BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
        self.count += 1;
        self.sum += seconds;
    }
}

/// The counters; one per process, see [`registry`].
#[derive(Debug, Default)]
pub struct Registry {
    commands: Mutex<BTreeMap<(&'static str, &'static str), Histogram>>,
    logins: Mutex<BTreeMap<&'static str, u64>>,
}

/// The process-wide registry.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::default)
}

impl Registry {
    /// Counts one command: its name (`SELECT`), result (`ok`, `no`, `bad`, `bye`) and duration.
    pub fn record_command(&self, name: &'static str, result: &'static str, elapsed: Duration) {
        let mut commands = self
            .commands
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        commands.entry((name, result)).or_default().observe(elapsed);
    }

    /// Counts one login attempt by result (`success`, `rejected`, `throttled`, ...).
    pub fn record_login(&self, result: &'static str) {
        let mut logins = self
            .logins
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *logins.entry(result).or_default() += 1;
    }

    /// Every command series, sorted by name and result.
    pub fn commands(&self) -> Vec<((&'static str, &'static str), Histogram)> {
        let commands = self
            .commands
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        commands.iter().map(|(k, h)| (*k, h.clone())).collect()
    }

    /// Every login result with its count.
    pub fn logins(&self) -> Vec<(&'static str, u64)> {
        let logins = self
            .logins
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        logins.iter().map(|(k, v)| (*k, *v)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let mut histogram = Histogram::default();
        histogram.observe(Duration::from_millis(3));
        histogram.observe(Duration::from_secs(2));
        assert_eq!(histogram.buckets, [0, 1, 1, 1, 1, 1, 1, 1, 2, 2]);
        assert_eq!(histogram.count, 2);
        assert!((histogram.sum - 2.003).abs() < 1e-9, "{}", histogram.sum);
    }
}
