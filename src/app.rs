//! The product assembled from its configuration: the REST client, the Alfresco backend, the
//! state store, TLS, and the IMAP listeners. `serve` and `demo` both start an [`App`].

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::alfresco::{AlfrescoClient, RestError, RestOptions};
use crate::clock::{self, SharedClock};
use crate::config::{ImapConfig, StateStoreUrl};
use crate::events::client::{Broker, ClientSettings};
use crate::events::listener::ListenerSettings;
use crate::events::topic_destination;
use crate::imap::context::ThrottleSettings;
use crate::imap::decode::LiteralLimits;
use crate::imap::framing::FramingLimits;
use crate::imap::{Change, ChangeHub, ServerContext, SessionSettings};
use crate::mailbox::alfresco::{AlfrescoBackend, BackendSettings, TRASH_ID};
use crate::ops::{MetricSources, OpsEndpoint, OpsError};
use crate::server::tls::{TlsError, TlsFiles, load_config};
use crate::server::{
    AppendBudget, ConnectionSettings, ConnectionShared, Gauges, RunningServer, Security, TlsSource,
};
use crate::state::postgres::Notice;
use crate::state::sqlite::SqliteStore;
use crate::state::{OpenedStore, StateError, StateStore};

/// Why the product could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The REST client could not be set up.
    #[error("repository client: {0}")]
    Rest(#[from] RestError),
    /// The state store could not be opened.
    #[error("state store: {0}")]
    State(#[from] StateError),
    /// TLS could not be set up.
    #[error("TLS: {0}")]
    Tls(#[from] TlsError),
    /// A listener could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Listen {
        /// The address.
        address: String,
        /// The error.
        source: std::io::Error,
    },
    /// The health and metrics endpoint could not start.
    #[error("{0}")]
    Ops(#[from] OpsError),
    /// Something in the configuration cannot be used.
    #[error("{0}")]
    Config(String),
}

/// What the command line may override.
#[derive(Debug, Clone, Default)]
pub struct AppOptions {
    /// Keep the state store in memory (`--ephemeral`): every restart means new UIDVALIDITYs.
    pub ephemeral_state: bool,
}

/// The running product.
pub struct App {
    /// The listeners.
    pub server: RunningServer,
    /// The backend (REST metrics, provisioning).
    pub backend: Arc<AlfrescoBackend>,
    /// The state store.
    pub store: Arc<dyn StateStore>,
    /// How long shutdown waits for connections.
    pub shutdown_grace: Duration,
    /// The TLS configuration in force, when TLS is configured.
    pub tls: Option<TlsSource>,
    /// Stops the tasks beside the listeners (certificate reloading).
    background: CancellationToken,
    /// The health and metrics endpoint, unless `imap.sidecar.http.address` is empty.
    pub ops: Option<OpsEndpoint>,
}

/// The REST options a configuration asks for.
pub fn rest_options(config: &ImapConfig) -> RestOptions {
    let repository = &config.repository;
    let mut options = RestOptions::new(repository.base_url.clone());
    options.connect_timeout = repository.connect_timeout;
    options.request_timeout = repository.request_timeout;
    options.transfer_timeout = repository.transfer_timeout;
    options.retries = repository.retries;
    options.retry_initial_delay = repository.retry_backoff;
    options.max_idle_per_host = repository.max_connections as usize;
    options
}

/// Opens the state store a configuration names (an SQLite file, whose directory is created
/// if needed, or a PostgreSQL database shared by several replicas) and brings its schema up
/// to date.
pub async fn open_store(
    config: &ImapConfig,
    clock: SharedClock,
    options: &AppOptions,
) -> Result<OpenedStore, StartError> {
    if options.ephemeral_state {
        return Ok(OpenedStore {
            store: Arc::new(SqliteStore::open_in_memory(clock)?),
            changes: None,
        });
    }
    if let StateStoreUrl::Sqlite(path) = &config.state.url
        && let Some(parent) = path.parent()
    {
        std::fs::create_dir_all(parent).map_err(|e| {
            StartError::Config(format!(
                "cannot create the state directory {}: {e}",
                parent.display()
            ))
        })?;
    }
    Ok(crate::state::open_shared(&config.state.url, clock).await?)
}

impl App {
    /// Builds and starts everything; the listeners are bound when this returns.
    pub async fn start(config: &ImapConfig, options: &AppOptions) -> Result<App, StartError> {
        let clock = clock::system();
        let client = AlfrescoClient::new(rest_options(config))?;
        let OpenedStore {
            store,
            changes: replica_changes,
        } = open_store(config, clock.clone(), options).await?;
        // Timed for the state store latency metric, whatever the implementation.
        let store = crate::ops::timed_store(store);
        let backend = AlfrescoBackend::new(
            client,
            BackendSettings::from_config(config),
            clock.clone(),
            store.clone(),
        );
        let background = CancellationToken::new();
        let tls = match (&config.tls.certificate, &config.tls.key) {
            (Some(certificate), Some(key)) => {
                let source = TlsSource::new(load_config(certificate, key)?);
                let files = TlsFiles {
                    certificate: certificate.clone(),
                    key: key.clone(),
                };
                if !config.tls.reload_interval.is_zero() {
                    source.watch(
                        files.clone(),
                        config.tls.reload_interval,
                        background.clone(),
                    );
                }
                reload_on_hangup(&source, files, background.clone());
                Some(source)
            }
            _ => None,
        };
        let auth = &config.auth;
        let limits = &config.limits;
        let session = SessionSettings {
            starttls: tls.is_some(),
            tls_required: config.tls.required,
            append_limit: config.limits.append_limit,
            oauth: auth.oauth_enabled,
            resync_interval: config.sync.resync_interval,
            index_lag: config.sync.index_lag,
            throttle: ThrottleSettings {
                failure_delay: auth.failure_delay,
                max_delay: auth.failure_delay.saturating_mul(16),
                max_failures_per_address: auth.max_failures_per_address,
                max_failures_per_user: auth.max_failures_per_user,
                window: auth.failure_window,
            },
            message_cache_bytes: config.cache.message_bytes,
            max_connections_per_user: limits.connections_per_user as usize,
        };
        let context = Arc::new(ServerContext::new(
            session,
            backend.authenticator(),
            store.clone(),
            clock,
            ChangeHub::default(),
        ));
        let line = usize::try_from(limits.command_line_length).unwrap_or(usize::MAX);
        let connection = ConnectionSettings {
            framing: FramingLimits {
                max_line: line,
                max_command: line
                    .saturating_add(usize::try_from(limits.append_spool_threshold).unwrap_or(0)),
                max_literals: limits.literals_per_command as usize,
            },
            literals: LiteralLimits {
                append_limit: limits.append_limit,
                spool_threshold: limits.append_spool_threshold,
                max_other: limits.command_line_length,
            },
            idle_timeout: config.timeouts.idle,
            login_timeout: config.timeouts.authentication,
            idle_poll: config.events.idle_poll,
            spool_dir: spool_dir(&limits.spool_dir),
            max_connections_per_address: limits.connections_per_address as usize,
            commands_per_second: limits.commands_per_second,
            nesting_depth: limits.nesting_depth as usize,
        };
        let shared = ConnectionShared {
            context,
            settings: Arc::new(connection),
            budget: AppendBudget::new(limits.append_budget),
            tls: tls.clone(),
            shutdown: CancellationToken::new(),
            gauges: Arc::new(Gauges::default()),
        };
        if let Some(feed) = replica_changes {
            // Other replicas' writes to the shared state wake this replica's sessions.
            let hub = shared.context.hub.clone();
            feed.spawn(shared.shutdown.child_token(), move |notice| match notice {
                Notice::Changed(key) => hub.notify(&key),
                Notice::Missed => hub.announce(Change::Everything),
            });
        }
        if let Some(settings) = listener_settings(config)? {
            crate::events::listener::spawn(
                settings,
                shared.context.hub.clone(),
                shared.shutdown.child_token(),
            );
        }
        let host: IpAddr = config.server.host.parse().map_err(|_| {
            StartError::Config(format!(
                "imap.server.host {} is not an IP address",
                config.server.host
            ))
        })?;
        let mut listeners = Vec::new();
        if config.server.imap_enabled {
            listeners.push((Security::Plain, SocketAddr::new(host, config.server.port)));
        }
        if config.server.imaps_enabled {
            if tls.is_none() {
                return Err(StartError::Config(
                    "imap.server.imaps.enabled needs imap.sidecar.tls.certificate and imap.sidecar.tls.key".into(),
                ));
            }
            listeners.push((
                Security::Implicit,
                SocketAddr::new(host, config.server.imaps_port),
            ));
        }
        let addresses: Vec<String> = listeners.iter().map(|(_, a)| a.to_string()).collect();
        let server = RunningServer::start(listeners, shared, limits.connections as usize)
            .await
            .map_err(|source| StartError::Listen {
                address: addresses.join(", "),
                source,
            })?;
        let ops = match config.ops.http_address {
            Some(address) => {
                let sources = MetricSources {
                    gauges: server.gauges(),
                    client: backend.client().clone(),
                };
                let endpoint = OpsEndpoint::start(address, sources).await?;
                // Listeners bound and state store open: ready.
                endpoint.set_ready(true);
                Some(endpoint)
            }
            None => None,
        };
        Ok(App {
            ops,
            server,
            backend,
            store,
            shutdown_grace: config.timeouts.shutdown_grace,
            tls,
            background,
        })
    }

    /// Runs until Ctrl-C or SIGTERM, then shuts down gracefully.
    pub async fn run_until_signal(self) {
        wait_for_signal().await;
        tracing::info!("shutting down");
        self.shutdown().await;
    }

    /// Shuts down gracefully: stops accepting, says BYE, waits up to the grace period.
    pub async fn shutdown(self) {
        self.background.cancel();
        if let Some(ops) = &self.ops {
            ops.set_ready(false);
        }
        self.server.shutdown(self.shutdown_grace).await;
    }
}

/// The event listener's settings, when a broker is configured.
fn listener_settings(config: &ImapConfig) -> Result<Option<ListenerSettings>, StartError> {
    let events = &config.events;
    let Some(url) = &events.url else {
        return Ok(None);
    };
    let broker = Broker::from_url(url, None, None)
        .map_err(|error| StartError::Config(format!("imap.sidecar.events.url: {error}")))?;
    let client = ClientSettings {
        heart_beat_send: events.heart_beat,
        heart_beat_receive: events.heart_beat,
        reconnect_initial: events.reconnect,
        reconnect_max: events.reconnect_max,
        ..ClientSettings::new(broker)
    };
    Ok(Some(ListenerSettings {
        client,
        destination: topic_destination(&events.topic),
        coalesce: events.coalesce,
        jitter: events.jitter,
        resync_every: events.resync,
        trash_id: TRASH_ID.to_owned(),
    }))
}

/// Reloads the certificate on SIGHUP (Unix), until `stop` is cancelled.
fn reload_on_hangup(source: &TlsSource, files: TlsFiles, stop: CancellationToken) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut hangup = match signal(SignalKind::hangup()) {
            Ok(hangup) => hangup,
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGHUP; certificates reload on their interval only");
                return;
            }
        };
        let source = source.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    received = hangup.recv() => if received.is_none() { return },
                    () = stop.cancelled() => return,
                }
                tracing::info!("SIGHUP: reloading the TLS certificate");
                if let Err(error) = source.reload(&files) {
                    tracing::error!(%error, "cannot reload the TLS certificate; keeping the previous one");
                }
            }
        });
    }
    #[cfg(not(unix))]
    {
        let _ = (source, files, stop);
    }
}

fn spool_dir(configured: &std::path::Path) -> PathBuf {
    if configured.as_os_str().is_empty() {
        std::env::temp_dir().join("alfresco-imap-spool")
    } else {
        configured.to_path_buf()
    }
}

/// Waits for Ctrl-C or (on Unix) SIGTERM.
pub async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
