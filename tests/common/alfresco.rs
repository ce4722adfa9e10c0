//! An IMAP server with the Alfresco backend, talking over HTTP to an emulator on 127.0.0.1
//! (demo seed): the product as users run it, end to end.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use alfresco_imap::alfresco::{AlfrescoClient, RestOptions};
use alfresco_imap::clock::SharedClock;
use alfresco_imap::emulator::{self, EmulatorHandle, EmulatorOptions};
use alfresco_imap::imap::context::ThrottleSettings;
use alfresco_imap::imap::{ChangeHub, ServerContext, SessionSettings};
use alfresco_imap::mailbox::alfresco::{AlfrescoBackend, BackendSettings};
use alfresco_imap::server::{
    AppendBudget, ConnectionSettings, ConnectionShared, RunningServer, Security,
};
use alfresco_imap::state::StateStore;
use alfresco_imap::state::sqlite::SqliteStore;
use tokio_util::sync::CancellationToken;

use super::client::RawClient;

/// A running sidecar in front of an emulator.
pub struct AlfrescoServer {
    /// The emulator (demo seed).
    pub emulator: EmulatorHandle,
    /// The IMAP address.
    pub address: SocketAddr,
    /// The backend (REST metrics).
    pub backend: Arc<AlfrescoBackend>,
    /// The state store.
    pub store: Arc<dyn StateStore>,
    server: Option<RunningServer>,
}

impl AlfrescoServer {
    /// Emulator with the demo seed, default settings.
    pub async fn start() -> Self {
        Self::with(
            BackendSettings::for_tests("http://127.0.0.1/alfresco"),
            EmulatorOptions {
                extraction_delay: Duration::from_millis(50),
                search_lag: Duration::from_millis(0),
                ..EmulatorOptions::default()
            },
        )
        .await
    }

    /// With settings of the test's choosing (the repository URL is filled in).
    pub async fn with(mut settings: BackendSettings, options: EmulatorOptions) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let emulator = emulator::spawn(options).await.expect("emulator starts");
        let base = url::Url::parse(&emulator.base_url()).expect("base url");
        settings.alfresco_url = emulator.base_url();
        let mut rest = RestOptions::new(base);
        rest.retry_initial_delay = Duration::from_millis(1);
        rest.retry_max_delay = Duration::from_millis(2);
        let client = AlfrescoClient::new(rest).expect("client");
        let clock: SharedClock = alfresco_imap::clock::system();
        let backend = AlfrescoBackend::new(client, settings, clock.clone());
        let store: Arc<dyn StateStore> =
            Arc::new(SqliteStore::open_in_memory(clock.clone()).expect("state store"));
        let session = SessionSettings {
            throttle: ThrottleSettings {
                failure_delay: Duration::from_millis(1),
                max_delay: Duration::from_millis(2),
                ..ThrottleSettings::default()
            },
            ..SessionSettings::default()
        };
        let context = Arc::new(ServerContext::new(
            session,
            backend.authenticator(),
            store.clone(),
            clock,
            ChangeHub::default(),
        ));
        let shared = ConnectionShared {
            context,
            settings: Arc::new(ConnectionSettings {
                spool_dir: std::env::temp_dir().join("alfresco-imap-test-spool"),
                ..ConnectionSettings::default()
            }),
            budget: AppendBudget::new(256 * 1024 * 1024),
            tls: None,
            shutdown: CancellationToken::new(),
            gauges: Default::default(),
        };
        let server = RunningServer::start(
            vec![(Security::Plain, "127.0.0.1:0".parse().expect("address"))],
            shared,
            100,
        )
        .await
        .expect("listen");
        Self {
            address: server.address(Security::Plain).expect("plain listener"),
            emulator,
            backend,
            store,
            server: Some(server),
        }
    }

    /// A logged-in connection of a demo user (the password is the user name).
    pub async fn login(&self, user: &str) -> RawClient {
        RawClient::login(self.address, user, user).await
    }

    /// REST calls made so far.
    pub fn rest_calls(&self) -> u64 {
        self.backend.client().metrics().total_calls()
    }
}
