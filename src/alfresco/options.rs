//! The REST client's settings: where the repository is, timeouts, retries, pooling.
//!
//! The configuration module maps the `alfresco.*` and `imap.sidecar.*` properties to a
//! [`RestOptions`]; [`repository_url`] builds the base URL from Alfresco's own
//! `alfresco.protocol`, `alfresco.host`, `alfresco.port` and `alfresco.context` keys.

use std::time::Duration;

use url::Url;

use super::error::RestError;

/// Settings of an [`AlfrescoClient`](super::AlfrescoClient).
#[derive(Debug, Clone)]
pub struct RestOptions {
    /// The repository web application, e.g. `https://repo.example.com:8443/alfresco`;
    /// the API paths (`/api/-default-/public/…`) are appended to it.
    pub base_url: Url,
    /// The tenant ("network") path segment: `-default-` unless the repository is multi-tenant.
    pub tenant: String,
    /// How long to wait for a TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// How long a JSON call may take in all; for a download, how long to wait for the
    /// response headers and then for each next chunk of the body.
    pub request_timeout: Duration,
    /// How long an upload may take in all (the body may be large).
    pub transfer_timeout: Duration,
    /// How often an idempotent call (GET) is retried after a connection error or a
    /// 502/503/504; non-idempotent calls are never retried.
    pub retries: u32,
    /// The delay before the first retry; it doubles for each further retry.
    pub retry_initial_delay: Duration,
    /// The longest delay between two retries.
    pub retry_max_delay: Duration,
    /// Idle connections kept open per host, shared by all users.
    pub max_idle_per_host: usize,
    /// How long an idle pooled connection is kept.
    pub pool_idle_timeout: Duration,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// Extra trusted CA certificates (PEM) for a repository with a private CA, on top of
    /// the system's roots.
    pub extra_root_certificates_pem: Vec<Vec<u8>>,
}

impl RestOptions {
    /// Options with the defaults for everything but the base URL.
    pub fn new(base_url: Url) -> Self {
        Self {
            base_url,
            tenant: "-default-".to_string(),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            transfer_timeout: Duration::from_secs(600),
            retries: 3,
            retry_initial_delay: Duration::from_millis(200),
            retry_max_delay: Duration::from_secs(5),
            max_idle_per_host: 32,
            pool_idle_timeout: Duration::from_secs(90),
            user_agent: concat!("alfresco-imap/", env!("CARGO_PKG_VERSION")).to_string(),
            extra_root_certificates_pem: Vec::new(),
        }
    }

    /// The delay before retry number `attempt` (0 for the first retry), without jitter.
    pub(crate) fn retry_delay(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.min(31));
        self.retry_initial_delay
            .saturating_mul(factor)
            .min(self.retry_max_delay)
    }
}

/// Builds the repository URL from Alfresco's `alfresco.protocol`, `alfresco.host`,
/// `alfresco.port` and `alfresco.context` values (`http`, `localhost`, `8080`, `alfresco`
/// give `http://localhost:8080/alfresco`). An IPv6 host may be given with or without brackets.
pub fn repository_url(
    protocol: &str,
    host: &str,
    port: u16,
    context: &str,
) -> Result<Url, RestError> {
    let protocol = protocol.to_ascii_lowercase();
    if protocol != "http" && protocol != "https" {
        return Err(RestError::invalid(format!(
            "protocol {protocol:?} is neither http nor https"
        )));
    }
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    let mut url = Url::parse(&format!("{protocol}://{host}:{port}/"))
        .map_err(|e| RestError::invalid(format!("host {host:?}: {e}")))?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(RestError::invalid("the repository host is empty"));
    }
    let segments: Vec<&str> = context.split('/').filter(|s| !s.is_empty()).collect();
    if segments.iter().any(|s| *s == "." || *s == "..") {
        return Err(RestError::invalid(format!("context {context:?}")));
    }
    url.path_segments_mut()
        .map_err(|_| RestError::invalid("the repository URL cannot have a path"))?
        .clear()
        .extend(segments);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_from_alfresco_properties() {
        let url = |p, h, port, c| repository_url(p, h, port, c).unwrap().to_string();
        assert_eq!(
            url("http", "localhost", 8080, "alfresco"),
            "http://localhost:8080/alfresco"
        );
        assert_eq!(
            url("HTTPS", "repo.example.com", 8443, "/alfresco/"),
            "https://repo.example.com:8443/alfresco"
        );
        assert_eq!(
            url("https", "repo", 443, "alfresco"),
            "https://repo/alfresco"
        );
        assert_eq!(
            url("http", "::1", 8080, "alfresco"),
            "http://[::1]:8080/alfresco"
        );
        assert_eq!(url("http", "[::1]", 8080, ""), "http://[::1]:8080/");
    }

    #[test]
    fn bad_parts_are_refused() {
        assert!(repository_url("ftp", "h", 21, "alfresco").is_err());
        assert!(repository_url("http", "", 80, "alfresco").is_err());
        assert!(repository_url("http", "a b", 80, "alfresco").is_err());
        assert!(repository_url("http", "h", 80, "../x").is_err());
    }

    #[test]
    fn retry_delays_double_up_to_the_cap() {
        let mut options = RestOptions::new(Url::parse("http://h/alfresco").unwrap());
        options.retry_initial_delay = Duration::from_millis(100);
        options.retry_max_delay = Duration::from_millis(350);
        let delays: Vec<u128> = (0..5).map(|a| options.retry_delay(a).as_millis()).collect();
        assert_eq!(delays, [100, 200, 350, 350, 350]);
        assert_eq!(options.retry_delay(u32::MAX), Duration::from_millis(350));
    }
}
