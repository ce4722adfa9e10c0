//! Arbitrary bytes from a client, through the framer, the decoder and the session, with the
//! in-memory repository and state store. The server must never panic, hang or misframe.

#![no_main]

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use alfresco_imap::clock::{ManualClock, SharedClock};
use alfresco_imap::imap::context::ThrottleSettings;
use alfresco_imap::imap::{ChangeHub, ServerContext, SessionSettings};
use alfresco_imap::mailbox::memory::{ALL_RIGHTS, MemoryRepository, READ_ONLY, test_date};
use alfresco_imap::server::connection::serve;
use alfresco_imap::server::{AppendBudget, ConnectionSettings, ConnectionShared};
use alfresco_imap::state::sqlite::SqliteStore;
use libfuzzer_sys::fuzz_target;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    })
}

fuzz_target!(|data: &[u8]| {
    runtime().block_on(async {
        let clock = ManualClock::new(test_date());
        let shared_clock: SharedClock = clock;
        let repository = MemoryRepository::new(shared_clock.clone());
        repository.add_user("alice", "alice");
        repository.add_user("bob", "bob");
        repository.add_shared_folder("Shared/Projects", &[("alice", ALL_RIGHTS), ("bob", READ_ONLY)]);
        repository.deliver(Some("alice"), "INBOX", b"Subject: one\r\n\r\nfirst\r\n");
        repository.deliver(Some("alice"), "INBOX", b"Subject: two\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\npart\r\n--b--\r\n");
        let settings = SessionSettings {
            throttle: ThrottleSettings {
                failure_delay: Duration::ZERO,
                max_delay: Duration::ZERO,
                ..ThrottleSettings::default()
            },
            ..SessionSettings::default()
        };
        let context = Arc::new(ServerContext::new(
            settings,
            repository.authenticator(),
            Arc::new(SqliteStore::open_in_memory(shared_clock.clone()).expect("state store")),
            shared_clock,
            ChangeHub::default(),
        ));
        let mut connection = ConnectionSettings::default();
        connection.literals.spool_threshold = 1024;
        connection.framing.max_line = 4096;
        connection.framing.max_command = 8192;
        let shared = ConnectionShared {
            context,
            settings: Arc::new(connection),
            budget: AppendBudget::new(1 << 20),
            tls: None,
            shutdown: CancellationToken::new(),
            gauges: Default::default(),
        };
        let (mut client, server) = tokio::io::duplex(1 << 16);
        let peer = "127.0.0.1:1".parse().expect("address");
        let task = tokio::spawn(serve(server, peer, false, shared));
        let _ = client.write_all(data).await;
        let _ = client.shutdown().await;
        let mut output = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), client.read_to_end(&mut output)).await;
        assert!(read.is_ok(), "the server hung");
        let _ = task.await;
    });
});
