//! The Prometheus text exposition format (version 0.0.4) of the server's counters.

use std::fmt::{Display, Write};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::registry::{Histogram, LATENCY_BUCKETS, registry};
use crate::alfresco::AlfrescoClient;
use crate::server::Gauges;

/// Where the metrics come from: the listeners' gauges and the repository client's counters
/// (everything else is in the process-wide [`super::registry()`]).
#[derive(Clone)]
pub struct MetricSources {
    /// Connection gauges of the running listeners.
    pub gauges: Arc<Gauges>,
    /// The repository client (its [`crate::alfresco::RestMetrics`]).
    pub client: AlfrescoClient,
}

/// Renders every metric as Prometheus text.
pub fn render(sources: &MetricSources) -> String {
    let mut out = Exposition::default();
    let gauges = &sources.gauges;
    let load = |counter: &std::sync::atomic::AtomicUsize| counter.load(Ordering::Relaxed);

    out.family(
        "alfresco_imap_connections_open",
        "gauge",
        "Client connections open now.",
    );
    out.sample(&[], load(&gauges.connections));
    out.family(
        "alfresco_imap_connections_accepted_total",
        "counter",
        "Client connections accepted since start.",
    );
    out.sample(&[], load(&gauges.accepted));
    out.family(
        "alfresco_imap_connections_refused_total",
        "counter",
        "Client connections refused because of imap.sidecar.limits.connections.",
    );
    out.sample(&[], load(&gauges.refused));

    let (received, sent) = registry().bytes();
    out.family(
        "alfresco_imap_received_bytes_total",
        "counter",
        "Bytes read from client connections (TLS records included).",
    );
    out.sample(&[], received);
    out.family(
        "alfresco_imap_sent_bytes_total",
        "counter",
        "Bytes written to client connections (TLS records included).",
    );
    out.sample(&[], sent);

    out.family(
        "alfresco_imap_logins_total",
        "counter",
        "Login attempts by result.",
    );
    for (result, count) in registry().logins() {
        out.sample(&[("result", result)], count);
    }

    out.family(
        "alfresco_imap_command_seconds",
        "histogram",
        "IMAP commands by name and result, with their duration.",
    );
    for ((command, result), histogram) in registry().commands() {
        out.histogram(&[("command", command), ("result", result)], &histogram);
    }

    let snapshot = sources.client.metrics().snapshot();
    let endpoints: Vec<String> = snapshot
        .calls
        .iter()
        .map(|c| c.endpoint.to_string())
        .collect();
    out.family(
        "alfresco_imap_rest_calls_total",
        "counter",
        "Repository REST calls by endpoint (method and route template) and status class, \
         retries included.",
    );
    for (call, endpoint) in snapshot.calls.iter().zip(&endpoints) {
        out.sample(
            &[("endpoint", endpoint), ("status", call.status.label())],
            call.count,
        );
    }
    out.family(
        "alfresco_imap_rest_call_seconds_total",
        "counter",
        "Total seconds spent in repository REST calls by endpoint and status class.",
    );
    for (call, endpoint) in snapshot.calls.iter().zip(&endpoints) {
        out.sample(
            &[("endpoint", endpoint), ("status", call.status.label())],
            call.latency.as_secs_f64(),
        );
    }

    let caches = registry().caches();
    out.family(
        "alfresco_imap_cache_hits_total",
        "counter",
        "In-memory cache lookups answered from the cache, by cache.",
    );
    for (cache, counts) in &caches {
        out.sample(&[("cache", cache.label())], counts.hits);
    }
    out.family(
        "alfresco_imap_cache_misses_total",
        "counter",
        "In-memory cache lookups that fetched or computed the value, by cache.",
    );
    for (cache, counts) in &caches {
        out.sample(&[("cache", cache.label())], counts.misses);
    }

    out.family(
        "alfresco_imap_state_store_seconds",
        "histogram",
        "State store operations by kind, with their duration.",
    );
    for (operation, histogram) in registry().store_operations() {
        out.histogram(&[("operation", operation)], &histogram);
    }
    out.text
}

/// Prometheus text being written: a family header, then its samples.
#[derive(Default)]
struct Exposition {
    text: String,
    /// The family the samples belong to.
    family: &'static str,
}

impl Exposition {
    /// Starts a family: its `# HELP` and `# TYPE` lines.
    fn family(&mut self, name: &'static str, kind: &str, help: &str) {
        self.family = name;
        let _ = writeln!(self.text, "# HELP {name} {help}");
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
    }

    /// One sample of the current family.
    fn sample(&mut self, labels: &[(&str, &str)], value: impl Display) {
        self.line("", labels, None, value);
    }

    /// The `_bucket`, `_sum` and `_count` samples of a histogram of the current family.
    fn histogram(&mut self, labels: &[(&str, &str)], histogram: &Histogram) {
        for (count, bound) in histogram.buckets.iter().zip(LATENCY_BUCKETS) {
            self.line("_bucket", labels, Some(&bound.to_string()), count);
        }
        self.line("_bucket", labels, Some("+Inf"), histogram.count);
        self.line("_sum", labels, None, histogram.sum);
        self.line("_count", labels, None, histogram.count);
    }

    /// `<family><suffix>{labels,le="..."} value`.
    fn line(
        &mut self,
        suffix: &str,
        labels: &[(&str, &str)],
        le: Option<&str>,
        value: impl Display,
    ) {
        let mut pairs: Vec<String> = labels
            .iter()
            .map(|(name, value)| format!("{name}=\"{}\"", escape(value)))
            .collect();
        if let Some(le) = le {
            pairs.push(format!("le=\"{le}\""));
        }
        let labels = if pairs.is_empty() {
            String::new()
        } else {
            format!("{{{}}}", pairs.join(","))
        };
        let _ = writeln!(self.text, "{}{suffix}{labels} {value}", self.family);
    }
}

/// Escapes a label value: backslash, double quote and line feed.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("GET /nodes/{id}"), "GET /nodes/{id}");
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn families_samples_and_histograms() {
        let mut out = Exposition::default();
        out.family("x_total", "counter", "Xs.");
        out.sample(&[], 3);
        out.sample(&[("kind", "a\"b")], 1.5);
        out.family("y_seconds", "histogram", "Ys.");
        let mut histogram = Histogram::default();
        histogram.observe(Duration::from_millis(20));
        out.histogram(&[("op", "get")], &histogram);
        let expected = "# HELP x_total Xs.\n# TYPE x_total counter\nx_total 3\n\
             x_total{kind=\"a\\\"b\"} 1.5\n\
             # HELP y_seconds Ys.\n# TYPE y_seconds histogram\n\
             y_seconds_bucket{op=\"get\",le=\"0.001\"} 0\n\
             y_seconds_bucket{op=\"get\",le=\"0.005\"} 0\n\
             y_seconds_bucket{op=\"get\",le=\"0.01\"} 0\n\
             y_seconds_bucket{op=\"get\",le=\"0.05\"} 1\n\
             y_seconds_bucket{op=\"get\",le=\"0.1\"} 1\n\
             y_seconds_bucket{op=\"get\",le=\"0.25\"} 1\n\
             y_seconds_bucket{op=\"get\",le=\"0.5\"} 1\n\
             y_seconds_bucket{op=\"get\",le=\"1\"} 1\n\
             y_seconds_bucket{op=\"get\",le=\"5\"} 1\n\
             y_seconds_bucket{op=\"get\",le=\"30\"} 1\n\
             y_seconds_bucket{op=\"get\",le=\"+Inf\"} 1\n\
             y_seconds_sum{op=\"get\"} 0.02\n\
             y_seconds_count{op=\"get\"} 1\n";
        assert_eq!(out.text, expected);
    }
}
