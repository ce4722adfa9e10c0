//! An IMAP server on 127.0.0.1:0 with the in-memory repository and an in-memory state store.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use alfresco_imap::clock::{ManualClock, SharedClock};
use alfresco_imap::imap::context::ThrottleSettings;
use alfresco_imap::imap::{ChangeHub, ServerContext, SessionSettings};
use alfresco_imap::mailbox::memory::{ALL_RIGHTS, MemoryRepository, READ_ONLY};
use alfresco_imap::server::{
    AppendBudget, ConnectionSettings, ConnectionShared, RunningServer, Security, TlsSource, tls,
};
use alfresco_imap::state::StateStore;
use alfresco_imap::state::sqlite::SqliteStore;
use tokio_util::sync::CancellationToken;

use super::client::{RawClient, TlsClient};

/// Options for a server with STARTTLS on the plain port and an IMAPS port, and a client that
/// trusts its certificate. With `required`, credentials are refused before TLS.
pub fn tls_options(required: bool) -> (Options, TlsClient) {
    let (options, client, _) = tls_options_with_certificate(required);
    (options, client)
}

/// [`tls_options`], and the server's certificate (PEM, for the name `localhost`) for other
/// clients to trust.
pub fn tls_options_with_certificate(required: bool) -> (Options, TlsClient, String) {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let (certificate, key) = tls::self_signed(&["localhost"]).expect("certificate");
    let chain = vec![CertificateDer::from_pem_slice(certificate.as_bytes()).expect("PEM")];
    let key = PrivateKeyDer::from_pem_slice(key.as_bytes()).expect("PEM");
    let config = tls::config_from(chain, key).expect("TLS configuration");
    let mut options = Options::default();
    options.session.starttls = true;
    options.session.tls_required = required;
    options.tls = Some(TlsSource::new(config));
    let client = TlsClient::trusting(&certificate);
    (options, client, certificate)
}

/// A running test server.
pub struct TestServer {
    /// The plain IMAP address.
    pub address: SocketAddr,
    /// The IMAPS address, when TLS is on.
    pub tls_address: Option<SocketAddr>,
    /// The repository behind it.
    pub repository: Arc<MemoryRepository>,
    /// The state store.
    pub store: Arc<dyn StateStore>,
    /// The clock (moves only when told).
    pub clock: Arc<ManualClock>,
    /// Change notifications.
    pub hub: ChangeHub,
    /// The append budget.
    pub budget: Arc<AppendBudget>,
    server: Option<RunningServer>,
}

/// What a test may change.
pub struct Options {
    pub session: SessionSettings,
    pub connection: ConnectionSettings,
    pub tls: Option<TlsSource>,
    pub max_connections: usize,
    pub append_budget: u64,
}

impl Default for Options {
    fn default() -> Self {
        let session = SessionSettings {
            throttle: ThrottleSettings {
                failure_delay: Duration::from_millis(1),
                max_delay: Duration::from_millis(2),
                ..ThrottleSettings::default()
            },
            ..SessionSettings::default()
        };
        let connection = ConnectionSettings {
            spool_dir: std::env::temp_dir().join("alfresco-imap-test-spool"),
            ..ConnectionSettings::default()
        };
        Self {
            session,
            connection,
            tls: None,
            max_connections: 100,
            append_budget: 64 * 1024 * 1024,
        }
    }
}

impl TestServer {
    /// A server with users alice/alice and bob/bob, and a shared folder `Shared/Projects`
    /// where alice may do everything and bob may only read.
    pub async fn start() -> Self {
        Self::with(Options::default()).await
    }

    /// A server with options.
    pub async fn with(options: Options) -> Self {
        let clock = ManualClock::new(alfresco_imap::mailbox::memory::test_date());
        let shared_clock: SharedClock = clock.clone();
        let repository = MemoryRepository::new(shared_clock.clone());
        repository.add_user("alice", "alice");
        repository.add_user("bob", "bob");
        repository.add_shared_folder(
            "Shared/Projects",
            &[("alice", ALL_RIGHTS), ("bob", READ_ONLY)],
        );
        let store: Arc<dyn StateStore> =
            Arc::new(SqliteStore::open_in_memory(shared_clock.clone()).expect("state store"));
        let hub = ChangeHub::default();
        let context = Arc::new(ServerContext::new(
            options.session,
            repository.authenticator(),
            store.clone(),
            shared_clock,
            hub.clone(),
        ));
        let budget = AppendBudget::new(options.append_budget);
        let shared = ConnectionShared {
            context,
            settings: Arc::new(options.connection),
            budget: budget.clone(),
            tls: options.tls.clone(),
            shutdown: CancellationToken::new(),
            gauges: Default::default(),
        };
        let mut listeners = vec![(Security::Plain, "127.0.0.1:0".parse().unwrap())];
        if options.tls.is_some() {
            listeners.push((Security::Implicit, "127.0.0.1:0".parse().unwrap()));
        }
        let server = RunningServer::start(listeners, shared, options.max_connections)
            .await
            .expect("listen");
        Self {
            address: server.address(Security::Plain).unwrap(),
            tls_address: server.address(Security::Implicit),
            repository,
            store,
            clock,
            hub,
            budget,
            server: Some(server),
        }
    }

    /// The running server's gauges.
    pub fn gauges(&self) -> Arc<alfresco_imap::server::Gauges> {
        self.server.as_ref().unwrap().gauges()
    }

    /// A client logged in as alice.
    pub async fn alice(&self) -> RawClient {
        RawClient::login(self.address, "alice", "alice").await
    }

    /// A client logged in as bob.
    pub async fn bob(&self) -> RawClient {
        RawClient::login(self.address, "bob", "bob").await
    }

    /// Stores a message in one of alice's folders "underneath" the sessions; returns its
    /// node id.
    pub fn deliver(&self, folder: &str, message: &str) -> String {
        self.repository
            .deliver(Some("alice"), folder, message.as_bytes())
    }

    /// Tells the sessions that a folder of `user`'s changed (as the repository's change
    /// notifications would), so that an IDLE reports a delivery at once.
    pub async fn announce(&self, user: &str, folder: &str) {
        use alfresco_imap::mailbox::Mailboxes as _;
        let info = self
            .repository
            .mailboxes(user)
            .mailbox(folder)
            .await
            .expect("the folder exists");
        self.hub.notify(&info.key.expect("a selectable folder"));
    }

    /// Shuts the server down.
    pub async fn shutdown(mut self, grace: Duration) {
        if let Some(server) = self.server.take() {
            server.shutdown(grace).await;
        }
    }
}
