//! An IMAP server with the Alfresco backend, talking over HTTP to an emulator on 127.0.0.1
//! (demo seed): the product as users run it, end to end. Helpers read IMAP answers and the
//! repository state, and check the recorded REST exchanges against the official definitions.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use alfresco_imap::alfresco::{AlfrescoClient, Password, RepoSession, RestOptions};
use alfresco_imap::clock::SharedClock;
use alfresco_imap::emulator::{self, EmulatorHandle, EmulatorOptions, Exchange};
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
use super::contract::{Contract, load_or_skip};
use super::rest::{Api, Auth};

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

/// The backend settings the tests start from: the shipped mount point, homes in `Imap Home`.
pub fn settings() -> BackendSettings {
    BackendSettings::for_tests("http://127.0.0.1/alfresco")
}

/// The emulator options the tests start from: demo seed, exchanges recorded, short delays.
pub fn options() -> EmulatorOptions {
    EmulatorOptions {
        extraction_delay: Duration::from_millis(30),
        search_lag: Duration::from_millis(0),
        record: true,
        ..EmulatorOptions::default()
    }
}

impl AlfrescoServer {
    /// Emulator with the demo seed, default settings.
    pub async fn start() -> Self {
        Self::with(settings(), options()).await
    }

    /// With settings of the test's choosing (the repository URL is filled in).
    pub async fn with(settings: BackendSettings, options: EmulatorOptions) -> Self {
        Self::configured(settings, options, |_| {}, |_| {}).await
    }

    /// Like [`Self::with`], and `adjust` changes the session settings.
    pub async fn with_session(
        settings: BackendSettings,
        options: EmulatorOptions,
        adjust: impl FnOnce(&mut SessionSettings),
    ) -> Self {
        Self::configured(settings, options, |_| {}, adjust).await
    }

    /// With settings of the test's choosing and REST client options adjusted by `rest`.
    pub async fn with_rest(
        settings: BackendSettings,
        options: EmulatorOptions,
        rest: impl FnOnce(&mut RestOptions),
    ) -> Self {
        Self::configured(settings, options, rest, |_| {}).await
    }

    /// The general form: REST options adjusted by `rest`, session settings by `adjust`.
    pub async fn configured(
        mut settings: BackendSettings,
        options: EmulatorOptions,
        rest: impl FnOnce(&mut RestOptions),
        adjust: impl FnOnce(&mut SessionSettings),
    ) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let emulator = emulator::spawn(options).await.expect("emulator starts");
        let base = url::Url::parse(&emulator.base_url()).expect("base url");
        settings.alfresco_url = emulator.base_url();
        let mut options = RestOptions::new(base);
        options.retry_initial_delay = Duration::from_millis(1);
        options.retry_max_delay = Duration::from_millis(2);
        rest(&mut options);
        let client = AlfrescoClient::new(options).expect("client");
        let clock: SharedClock = alfresco_imap::clock::system();
        let store: Arc<dyn StateStore> =
            Arc::new(SqliteStore::open_in_memory(clock.clone()).expect("state store"));
        let backend = AlfrescoBackend::new(client, settings, clock.clone(), store.clone());
        let mut session = SessionSettings {
            throttle: ThrottleSettings {
                failure_delay: Duration::from_millis(1),
                max_delay: Duration::from_millis(2),
                ..ThrottleSettings::default()
            },
            ..SessionSettings::default()
        };
        adjust(&mut session);
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

    /// A connection that has not logged in yet (the greeting is read).
    pub async fn connect(&self) -> RawClient {
        RawClient::connect(self.address).await.0
    }

    /// REST calls made so far.
    pub fn rest_calls(&self) -> u64 {
        self.backend.client().metrics().total_calls()
    }

    /// The node id at a path below Company Home (`Sites/marketing/documentLibrary`).
    pub fn id(&self, path: &str) -> String {
        self.emulator
            .node_id(path)
            .unwrap_or_else(|| panic!("no node at {path}"))
    }

    /// The names of the live children of the folder at `path`, in creation order.
    pub fn names(&self, path: &str) -> Vec<String> {
        self.emulator.child_names(&self.id(path))
    }

    /// A REST client of a demo user (Basic authentication, the password is the user name).
    pub fn api(&self, user: &str) -> Api {
        Api::new(
            &self.emulator.origin(),
            Auth::Basic(user.into(), user.into()),
        )
    }

    /// A repository session of the administrator, as `provision-homes` opens it.
    pub async fn admin_session(&self) -> RepoSession {
        self.backend
            .client()
            .login("admin", Password::new("admin"))
            .await
            .expect("admin login")
    }

    /// Content downloads recorded so far (`GET nodes/{id}/content`).
    pub fn downloads(&self) -> usize {
        self.emulator
            .recorded()
            .iter()
            .filter(|x| x.request.method == "GET" && x.request.path.ends_with("/content"))
            .count()
    }

    /// Waits until `done` holds for the repository (background work such as metadata
    /// extraction runs when the repository is looked at); a guard fails the test after 5 s.
    pub async fn wait_until(&self, what: &str, mut done: impl FnMut(&EmulatorHandle) -> bool) {
        for _ in 0..500 {
            if done(&self.emulator) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the repository never reached: {what}");
    }

    /// Checks every exchange recorded so far against the official definitions (skipped with a
    /// loud message when they are missing).
    pub fn check_contract(&self, test: &str) {
        check_exchanges(test, &self.emulator.recorded());
    }
}

/// Checks exchanges against the definitions, loaded once per test binary.
pub fn check_exchanges(test: &str, exchanges: &[Exchange]) {
    static CONTRACT: OnceLock<Option<Contract>> = OnceLock::new();
    let Some(contract) = CONTRACT.get_or_init(|| load_or_skip(test)).as_ref() else {
        return;
    };
    assert!(!exchanges.is_empty(), "{test}: nothing was recorded");
    let violations = contract.check(exchanges);
    assert!(
        violations.is_empty(),
        "{test}: {} contract violations:\n{}",
        violations.len(),
        violations.join("\n")
    );
}

/// The last line of an answer (the tagged status), without CRLF.
pub fn tagged(answer: &str) -> &str {
    answer.trim_end().lines().last().unwrap_or("")
}

/// The number in `[CODE n]` of an answer.
pub fn code_number(answer: &str, code: &str) -> u32 {
    let marker = format!("[{code} ");
    let start = answer
        .find(&marker)
        .unwrap_or_else(|| panic!("no {code} in {answer}"))
        + marker.len();
    let rest = &answer[start..];
    let end = rest.find([']', ' ']).expect("end of code");
    rest[..end].parse().expect("number")
}

/// The UIDVALIDITY of a SELECT/EXAMINE answer.
pub fn uid_validity(answer: &str) -> u32 {
    code_number(answer, "UIDVALIDITY")
}

/// The `* n EXISTS` of an answer.
pub fn exists(answer: &str) -> u32 {
    answer
        .lines()
        .filter_map(|l| l.strip_prefix("* ")?.strip_suffix(" EXISTS"))
        .next_back()
        .unwrap_or_else(|| panic!("no EXISTS in {answer}"))
        .parse()
        .expect("number")
}

/// The UIDs of the `* n FETCH (UID u ...)` lines of an answer, in order.
pub fn fetched_uids(answer: &str) -> Vec<u32> {
    answer
        .lines()
        .filter(|l| l.starts_with("* ") && l.contains(" FETCH ("))
        .filter_map(|l| {
            let at = l.find("UID ")? + 4;
            let rest = &l[at..];
            let end = rest.find([' ', ')']).unwrap_or(rest.len());
            rest[..end].parse().ok()
        })
        .collect()
}

/// The `* SEARCH` numbers of an answer.
pub fn searched(answer: &str) -> Vec<u32> {
    answer
        .lines()
        .find_map(|l| l.strip_prefix("* SEARCH"))
        .unwrap_or_else(|| panic!("no SEARCH in {answer}"))
        .split_whitespace()
        .map(|n| n.parse().expect("number"))
        .collect()
}

/// The mailbox names of `* LIST`/`* LSUB` lines, in order (quotes removed).
pub fn listed(answer: &str) -> Vec<String> {
    answer
        .lines()
        .filter(|l| l.starts_with("* LIST ") || l.starts_with("* LSUB "))
        .map(|l| {
            let name = l.rsplit_once("\"/\" ").map(|(_, n)| n).unwrap_or("");
            name.trim_matches('"').to_owned()
        })
        .collect()
}

/// Sends `tag APPEND "mailbox" (flags) {n+}` with `message` as a non-synchronizing literal.
pub async fn append(
    client: &mut RawClient,
    tag: &str,
    mailbox: &str,
    flags: &str,
    message: &[u8],
) -> String {
    let mut bytes = format!(
        "{tag} APPEND \"{mailbox}\" ({flags}) {{{}+}}\r\n",
        message.len()
    )
    .into_bytes();
    bytes.extend_from_slice(message);
    bytes.extend_from_slice(b"\r\n");
    client.send(&bytes).await;
    client.read_tagged(tag).await
}

/// Selects `mailbox` and checks that it worked.
pub async fn select(client: &mut RawClient, mailbox: &str) -> String {
    let answer = client.command(&format!("S SELECT \"{mailbox}\"")).await;
    assert!(tagged(&answer).starts_with("S OK"), "{answer}");
    answer
}

/// A plain e-mail with 8-bit text (UTF-8, no transfer encoding).
pub fn sample_email(subject: &str, message_id: &str) -> Vec<u8> {
    format!(
        "From: =?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <joerg@example.de>\r\n\
         To: Alice Adams <alice@example.com>\r\n\
         Cc: Bob Baker <bob@example.com>\r\n\
         Subject: {subject}\r\n\
         Date: Tue, 10 Mar 2026 10:00:00 +0100\r\n\
         Message-ID: <{message_id}>\r\n\
         Thread-Index: AQHXabcdefghijk==\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: 8bit\r\n\
         \r\n\
         Grüße aus München – 8-bit text, sent as it is.\r\n"
    )
    .into_bytes()
}

/// The bytes of the first literal (`{n}\r\n` followed by n bytes) in an answer.
pub fn literal(answer: &str) -> Vec<u8> {
    let open = answer.find('{').expect("a literal");
    let close = open
        + answer[open..]
            .find("}\r\n")
            .expect("end of the literal length");
    let length: usize = answer[open + 1..close].parse().expect("literal length");
    let start = close + 3;
    answer.as_bytes()[start..start + length].to_vec()
}

/// The value of a header field in a message (first occurrence, unfolded, trimmed).
pub fn header(message: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(message);
    let head = text.split("\r\n\r\n").next().unwrap_or("");
    let prefix = format!("{}:", name.to_ascii_lowercase());
    head.split("\r\n")
        .find(|line| line.to_ascii_lowercase().starts_with(&prefix))
        .map(|line| line[prefix.len()..].trim().to_owned())
}

/// The ids of the live files directly in `folder` (a node id), oldest first: the order IMAP
/// shows them in.
pub fn files_oldest_first(emulator: &EmulatorHandle, folder: &str) -> Vec<String> {
    emulator.with_repository(|r| {
        let mut files: Vec<_> = r
            .node(folder)
            .expect("folder")
            .children
            .iter()
            .filter_map(|c| r.live(c))
            .filter(|n| n.is_file())
            .map(|n| (n.created_at, n.id.clone()))
            .collect();
        files.sort();
        files.into_iter().map(|(_, id)| id).collect()
    })
}
