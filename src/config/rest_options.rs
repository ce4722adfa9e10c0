//! The REST client's options from the configuration: `alfresco.*` and `imap.sidecar.rest.*`.

use super::imap_config::ImapConfig;
use crate::alfresco::RestOptions;

impl RestOptions {
    /// The client options for the configured repository:
    ///
    /// | key | option |
    /// | --- | --- |
    /// | `alfresco.protocol`, `.host`, `.port`, `.context` | `base_url` |
    /// | `imap.sidecar.rest.connectTimeoutMs` | `connect_timeout` |
    /// | `imap.sidecar.rest.requestTimeoutMs` | `request_timeout` (and the floor of `transfer_timeout`) |
    /// | `imap.sidecar.rest.retries` | `retries` |
    /// | `imap.sidecar.rest.retryBackoffMs` | `retry_initial_delay` (and the floor of `retry_max_delay`) |
    /// | `imap.sidecar.rest.maxConnections` | `max_idle_per_host` |
    ///
    /// The other two keys are not client options: `imap.sidecar.rest.allowInsecure` is enforced
    /// when the configuration is validated (plain http to another machine is refused before a
    /// client exists), and `imap.sidecar.rest.pageSize` is the page size callers ask for when
    /// they list (`config.repository.page_size`). Everything else keeps [`RestOptions::new`]'s
    /// defaults.
    pub fn from_config(config: &ImapConfig) -> RestOptions {
        let repository = &config.repository;
        let mut options = RestOptions::new(repository.base_url.clone());
        options.connect_timeout = repository.connect_timeout;
        options.request_timeout = repository.request_timeout;
        options.transfer_timeout = options.transfer_timeout.max(repository.request_timeout);
        options.retries = repository.retries;
        options.retry_initial_delay = repository.retry_backoff;
        options.retry_max_delay = options.retry_max_delay.max(repository.retry_backoff);
        options.max_idle_per_host =
            usize::try_from(repository.max_connections).unwrap_or(usize::MAX);
        options
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::config::ConfigSources;

    /// How long [`RestOptions::new`] lets an upload run.
    const DEFAULT_TRANSFER: Duration = Duration::from_secs(600);

    fn options(defines: &[&str]) -> RestOptions {
        let config = ImapConfig::load(&ConfigSources {
            defines: defines.iter().map(|d| d.to_string()).collect(),
            local_name: Some("mailhost".into()),
            ..Default::default()
        })
        .unwrap();
        RestOptions::from_config(&config)
    }

    #[test]
    fn shipped_defaults() {
        let options = options(&[]);
        assert_eq!(options.base_url.as_str(), "http://mailhost:8080/alfresco/");
        assert_eq!(options.tenant, "-default-");
        assert_eq!(options.connect_timeout, Duration::from_millis(5000));
        assert_eq!(options.request_timeout, Duration::from_millis(60000));
        assert_eq!(options.transfer_timeout, DEFAULT_TRANSFER);
        assert_eq!(options.retries, 2);
        assert_eq!(options.retry_initial_delay, Duration::from_millis(200));
        assert_eq!(options.retry_max_delay, Duration::from_secs(5));
        assert_eq!(options.max_idle_per_host, 64);
    }

    #[test]
    fn every_rest_key_is_mapped() {
        let options = options(&[
            "alfresco.protocol=https",
            "alfresco.host=acs.example.org",
            "alfresco.port=8443",
            "alfresco.context=/repo/",
            "imap.sidecar.rest.connectTimeoutMs=7",
            "imap.sidecar.rest.requestTimeoutMs=900000",
            "imap.sidecar.rest.retries=0",
            "imap.sidecar.rest.retryBackoffMs=9000",
            "imap.sidecar.rest.maxConnections=3",
        ]);
        assert_eq!(
            options.base_url.as_str(),
            "https://acs.example.org:8443/repo/"
        );
        assert_eq!(options.connect_timeout, Duration::from_millis(7));
        assert_eq!(options.request_timeout, Duration::from_millis(900_000));
        // An upload may always take as long as any other call.
        assert_eq!(options.transfer_timeout, Duration::from_millis(900_000));
        assert_eq!(options.retries, 0);
        assert_eq!(options.retry_initial_delay, Duration::from_millis(9000));
        assert_eq!(options.retry_max_delay, Duration::from_millis(9000));
        assert_eq!(options.max_idle_per_host, 3);
    }
}
