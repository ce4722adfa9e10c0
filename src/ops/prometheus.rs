//! The Prometheus text exposition format (version 0.0.4) of the server's counters.

use std::fmt::Write;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::registry::{LATENCY_BUCKETS, registry};
use crate::alfresco::AlfrescoClient;
use crate::server::Gauges;

/// Where the metrics come from: the listeners' gauges and the repository client's counters.
#[derive(Clone)]
pub struct MetricSources {
    /// Connection gauges of the running listeners.
    pub gauges: Arc<Gauges>,
    /// The repository client (its [`crate::alfresco::RestMetrics`]).
    pub client: AlfrescoClient,
}

/// Renders every metric as Prometheus text.
pub fn render(sources: &MetricSources) -> String {
    let mut out = String::new();
    let gauges = &sources.gauges;
    family(
        &mut out,
        "alfresco_imap_connections_open",
        "gauge",
        "Client connections open now.",
    );
    let _ = writeln!(
        out,
        "alfresco_imap_connections_open {}",
        gauges.connections.load(Ordering::Relaxed)
    );
    family(
        &mut out,
        "alfresco_imap_connections_accepted_total",
        "counter",
        "Client connections accepted since start.",
    );
    let _ = writeln!(
        out,
        "alfresco_imap_connections_accepted_total {}",
        gauges.accepted.load(Ordering::Relaxed)
    );
    family(
        &mut out,
        "alfresco_imap_connections_refused_total",
        "counter",
        "Client connections refused because of imap.sidecar.limits.connections.",
    );
    let _ = writeln!(
        out,
        "alfresco_imap_connections_refused_total {}",
        gauges.refused.load(Ordering::Relaxed)
    );
    family(
        &mut out,
        "alfresco_imap_logins_total",
        "counter",
        "Login attempts by result.",
    );
    for (result, count) in registry().logins() {
        let _ = writeln!(
            out,
            "alfresco_imap_logins_total{{result=\"{result}\"}} {count}"
        );
    }
    family(
        &mut out,
        "alfresco_imap_command_seconds",
        "histogram",
        "IMAP commands by name and result, with their duration.",
    );
    for ((name, result), histogram) in registry().commands() {
        let labels = format!("command=\"{}\",result=\"{result}\"", escape(name));
        for (count, bound) in histogram.buckets.iter().zip(LATENCY_BUCKETS) {
            let _ = writeln!(
                out,
                "alfresco_imap_command_seconds_bucket{{{labels},le=\"{bound}\"}} {count}"
            );
        }
        let _ = writeln!(
            out,
            "alfresco_imap_command_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
            histogram.count
        );
        let _ = writeln!(
            out,
            "alfresco_imap_command_seconds_sum{{{labels}}} {}",
            histogram.sum
        );
        let _ = writeln!(
            out,
            "alfresco_imap_command_seconds_count{{{labels}}} {}",
            histogram.count
        );
    }
    let snapshot = sources.client.metrics().snapshot();
    family(
        &mut out,
        "alfresco_imap_rest_calls_total",
        "counter",
        "Repository REST calls by endpoint and status class, retries included.",
    );
    for call in &snapshot.calls {
        let _ = writeln!(
            out,
            "alfresco_imap_rest_calls_total{{endpoint=\"{}\",status=\"{}\"}} {}",
            escape(&call.endpoint.to_string()),
            call.status.label(),
            call.count
        );
    }
    family(
        &mut out,
        "alfresco_imap_rest_call_seconds_total",
        "counter",
        "Total seconds spent in repository REST calls by endpoint and status class.",
    );
    for call in &snapshot.calls {
        let _ = writeln!(
            out,
            "alfresco_imap_rest_call_seconds_total{{endpoint=\"{}\",status=\"{}\"}} {}",
            escape(&call.endpoint.to_string()),
            call.status.label(),
            call.latency.as_secs_f64()
        );
    }
    out
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
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

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("GET /nodes/{id}"), "GET /nodes/{id}");
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
