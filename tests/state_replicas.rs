//! Several replicas on one PostgreSQL state database, as operators run them: two product
//! processes (`alfresco-imap serve`) in front of one emulator, and `alfresco-imap state
//! migrate`.
//!
//! - alice on replica A appends to and flags a site library both she and bob may read; bob,
//!   idling on replica B with polling switched off (`imap.sidecar.idle.pollMs=0`), sees the
//!   message arrive with the UID A gave it and the shared flags through PostgreSQL
//!   `LISTEN`/`NOTIFY`; alice's `\Seen` never reaches him;
//! - `kill -9` of replica A during APPENDs loses nothing: every APPEND answered OK is there on
//!   replica B with its UID, every stored document shows, and A started again agrees with B.
//!
//! The PostgreSQL tests need a server named by `ALFRESCO_IMAP_TEST_POSTGRES_URL` (`source
//! .ci/services.sh; start_postgres` starts one, Debian package `postgresql`); each test makes
//! a database of its own. They skip loudly without one, and fail instead under
//! `ALFRESCO_IMAP_REQUIRE_EXTERNAL=1`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use alfresco_imap::emulator::EmulatorHandle;
use common::alfresco::{append, select, tagged};
use common::client::{GUARD, OnRefusal, RawClient, append_until_broken};
use common::external::skip;
use common::product::{cpu_seconds, fast_emulator, properties};

const PRODUCT: &str = env!("CARGO_BIN_EXE_alfresco-imap");

/// The marketing site's library: alice (Manager) and bob (Consumer) both read it.
const LIBRARY: &str = "Sites/marketing/documentLibrary";
const LIBRARY_MAILBOX: &str = "Alfresco IMAP/Sites/marketing/documentLibrary";

/// The schema version this program writes.
const SCHEMA_VERSION: i64 = alfresco_imap::state::postgres::SCHEMA_VERSION;

// ---------------------------------------------------------------------------------------
// A database of its own

/// The test server's URL, or `None` after a loud skip.
fn server(test: &str) -> Option<url::Url> {
    match std::env::var("ALFRESCO_IMAP_TEST_POSTGRES_URL") {
        Ok(text) if !text.trim().is_empty() => {
            Some(url::Url::parse(text.trim()).expect("ALFRESCO_IMAP_TEST_POSTGRES_URL is a URL"))
        }
        _ => {
            skip(
                test,
                "a PostgreSQL server (ALFRESCO_IMAP_TEST_POSTGRES_URL)",
                "install the Debian package postgresql, run `source .ci/services.sh; \
                 start_postgres` (it sets ALFRESCO_IMAP_TEST_POSTGRES_URL)",
            );
            None
        }
    }
}

async fn connect(url: &url::Url) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url.as_str(), tokio_postgres::NoTls)
        .await
        .expect("the test server answers");
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

/// A fresh database on the test server, dropped with this value.
struct Database {
    server: url::Url,
    name: String,
    url: url::Url,
}

impl Database {
    async fn create(server: url::Url) -> Self {
        let name = format!("replicas_{}", uuid::Uuid::new_v4().simple());
        connect(&server)
            .await
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("CREATE DATABASE");
        let mut url = server.clone();
        url.set_path(&format!("/{name}"));
        Self { server, name, url }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let _ = connect(&server)
                    .await
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await;
            });
        })
        .join();
    }
}

// ---------------------------------------------------------------------------------------
// Replicas

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// One `alfresco-imap serve` process; killed (by its PID) when dropped.
struct Replica {
    child: Child,
    address: SocketAddr,
}

impl Replica {
    /// Starts a replica on a free port with its own data directory and the shared state
    /// database, and waits until it accepts connections.
    async fn start(rest_port: u16, state_url: &url::Url, dir: &Path, name: &str) -> Self {
        let port = free_port();
        let data_dir = dir.join(name);
        std::fs::create_dir_all(&data_dir).unwrap();
        let defines = properties(
            rest_port,
            &data_dir,
            &[
                &format!("imap.server.port={port}"),
                &format!("imap.sidecar.state.url={state_url}"),
                // Only a notice from the other replica can wake an idling session.
                "imap.sidecar.idle.pollMs=0",
                "imap.sidecar.cache.listingTtlMs=0",
                "imap.sidecar.log.level=info",
            ],
        );
        let log = std::fs::File::create(dir.join(format!("{name}.log"))).unwrap();
        let mut command = Command::new(PRODUCT);
        command.arg("serve");
        for define in &defines {
            command.arg("-D").arg(define);
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("the product starts");
        let address: SocketAddr = ([127, 0, 0, 1], port).into();
        let guard = tokio::time::Instant::now() + GUARD;
        while tokio::net::TcpStream::connect(address).await.is_err() {
            assert!(
                tokio::time::Instant::now() < guard,
                "replica {name} never listened; see {}",
                dir.join(format!("{name}.log")).display()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Self { child, address }
    }

    async fn login(&self, user: &str) -> RawClient {
        RawClient::login(self.address, user, user).await
    }

    /// `kill -9`.
    fn kill(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------
// IMAP helpers

fn email(subject: &str, id: &str) -> Vec<u8> {
    format!(
        "From: alice@example.com\r\nTo: team@example.com\r\nSubject: {subject}\r\n\
         Message-ID: {id}\r\nDate: Mon, 2 Nov 2026 10:00:00 +0000\r\n\r\nbody of {subject}\r\n"
    )
    .into_bytes()
}

/// The UID an `APPENDUID` answer names.
fn append_uid(answer: &str) -> u32 {
    tagged(answer)
        .split("[APPENDUID ")
        .nth(1)
        .and_then(|rest| rest.split([' ', ']']).nth(1))
        .and_then(|uid| uid.parse().ok())
        .unwrap_or_else(|| panic!("no APPENDUID in {answer}"))
}

/// UID -> Message-ID of the selected mailbox.
async fn message_ids(client: &mut RawClient) -> BTreeMap<u32, String> {
    let fetched = client
        .command("m UID FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        .await;
    assert!(tagged(&fetched).starts_with("m OK"), "{fetched}");
    fetched_message_ids(&fetched)
}

/// UID -> Message-ID of every `* n FETCH` in an answer to [`message_ids`]'s command.
fn fetched_message_ids(fetched: &str) -> BTreeMap<u32, String> {
    let mut messages = BTreeMap::new();
    // Every FETCH starts a line, the first one the answer itself.
    for item in format!("\r\n{fetched}").split("\r\n* ").skip(1) {
        let uid = item
            .split("UID ")
            .nth(1)
            .and_then(|rest| rest.split([' ', ')']).next())
            .and_then(|uid| uid.parse::<u32>().ok())
            .expect("each FETCH names its UID");
        let id = item
            .split("\r\n")
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("message-id")
                    .then(|| value.trim().to_owned())
            })
            .unwrap_or_default();
        messages.insert(uid, id);
    }
    messages
}

/// The first FETCH counts as much as the others: missing it made the two-replica test wait
/// for `* 4 EXISTS` while replica B rightly announced `* 5 EXISTS`.
#[test]
fn every_fetch_of_an_answer_is_read() {
    let answer = "* 1 FETCH (UID 3 BODY[HEADER.FIELDS (MESSAGE-ID)] {18}\r\n\
                  Message-ID: <a>\r\n)\r\n\
                  * 2 FETCH (UID 7 BODY[HEADER.FIELDS (MESSAGE-ID)] {2}\r\n\r\n)\r\n\
                  m OK FETCH completed\r\n";
    assert_eq!(
        fetched_message_ids(answer),
        BTreeMap::from([(3, "<a>".to_owned()), (7, String::new())])
    );
}

/// The flags `UID FETCH uid (FLAGS)` shows, but `\Recent` (which depends on the session).
async fn flags_of(client: &mut RawClient, uid: u32) -> BTreeSet<String> {
    let answer = client.command(&format!("f UID FETCH {uid} (FLAGS)")).await;
    answer
        .split("FLAGS (")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_else(|| panic!("no FLAGS in {answer}"))
        .split_whitespace()
        .filter(|flag| *flag != "\\Recent")
        .map(str::to_owned)
        .collect()
}

fn set(flags: &[&str]) -> BTreeSet<String> {
    flags.iter().map(|f| (*f).to_owned()).collect()
}

/// Reads untagged lines until one contains every needle; returns the lines read.
async fn read_until(client: &mut RawClient, needles: &[&str]) -> String {
    let mut seen = String::new();
    loop {
        let line = client.read_line().await;
        seen.push_str(&line);
        if needles.iter().all(|needle| line.contains(needle)) {
            return seen;
        }
    }
}

/// Live files directly in `folder` in the repository.
fn files_in(emulator: &EmulatorHandle, folder: &str) -> usize {
    emulator.with_repository(|r| {
        r.live(folder)
            .map(|f| {
                f.children
                    .iter()
                    .filter(|c| r.live(c).is_some_and(|n| n.is_file()))
                    .count()
            })
            .unwrap_or(0)
    })
}

/// alice's APPENDs to the library over one connection until it breaks; returns Message-ID ->
/// UID of every APPEND answered OK.
async fn appender(address: SocketAddr, me: usize) -> BTreeMap<String, u32> {
    let message = |n| {
        let id = format!("<replica-{me}-{n}@test>");
        let message = email(&format!("replica {me} {n}"), &id);
        (id, message)
    };
    append_until_broken(address, "alice", LIBRARY_MAILBOX, message, OnRefusal::Panic).await
}

// ---------------------------------------------------------------------------------------
// Two replicas

/// A directory for the replicas' data and logs, removed unless the test fails.
struct Logs(std::path::PathBuf);

impl Logs {
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Logs {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// What replicas share: a fresh database, one emulator, and the directory of their data and
/// logs.
struct Deployment {
    database: Database,
    emulator: EmulatorHandle,
    logs: Logs,
}

impl Deployment {
    async fn create(server: url::Url) -> Self {
        let database = Database::create(server).await;
        let emulator = alfresco_imap::emulator::spawn(fast_emulator())
            .await
            .expect("emulator starts");
        let logs =
            Logs(std::env::temp_dir().join(format!("state-replicas-{}", uuid::Uuid::new_v4())));
        std::fs::create_dir_all(logs.path()).unwrap();
        Self {
            database,
            emulator,
            logs,
        }
    }

    /// A replica named `name` (its data and log file names).
    async fn replica(&self, name: &str) -> Replica {
        let rest_port = self.emulator.addr().port();
        Replica::start(rest_port, &self.database.url, self.logs.path(), name).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_uids_and_flags_and_a_killed_one_loses_nothing() {
    let Some(server) = server("two_replicas_share_uids_and_flags_and_a_killed_one_loses_nothing")
    else {
        return;
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    // The logs are kept when the test fails.
    let deployment = Deployment::create(server).await;
    let emulator = &deployment.emulator;
    eprintln!("replica logs in {}", deployment.logs.path().display());
    let mut replica_a = deployment.replica("a").await;
    let replica_b = deployment.replica("b").await;

    // Both see the library with the same UIDVALIDITY and UIDs.
    let mut alice = replica_a.login("alice").await;
    let mut bob = replica_b.login("bob").await;
    let on_a = select(&mut alice, LIBRARY_MAILBOX).await;
    let on_b = select(&mut bob, LIBRARY_MAILBOX).await;
    let validity = |answer: &str| {
        answer
            .split("[UIDVALIDITY ")
            .nth(1)
            .and_then(|rest| rest.split(']').next())
            .map(str::to_owned)
            .expect("UIDVALIDITY")
    };
    assert_eq!(validity(&on_a), validity(&on_b));
    let before = message_ids(&mut alice).await;
    assert!(!before.is_empty(), "the demo library has documents");
    assert_eq!(message_ids(&mut bob).await, before);
    let exists_before = before.len();

    // bob idles on B; alice appends on A.
    bob.send(b"i IDLE\r\n").await;
    assert_eq!(bob.read_line().await, "+ idling\r\n");
    let answer = append(
        &mut alice,
        "a",
        LIBRARY_MAILBOX,
        "",
        &email("shared", "<shared@test>"),
    )
    .await;
    let uid = append_uid(&answer);
    let exists_line = format!("* {} EXISTS\r\n", exists_before + 1);
    read_until(&mut bob, &[&exists_line]).await;

    // A shared flag reaches the idling bob; alice's \Seen does not.
    let stored = alice
        .command(&format!("s UID STORE {uid} +FLAGS.SILENT (\\Flagged)"))
        .await;
    assert_eq!(stored, "s OK STORE completed\r\n");
    let seq = exists_before + 1;
    let got = read_until(&mut bob, &[&format!("* {seq} FETCH ("), "\\Flagged"]).await;
    assert!(!got.contains("\\Seen"), "{got}");
    alice
        .command(&format!("t UID STORE {uid} +FLAGS.SILENT (\\Seen)"))
        .await;
    alice
        .command(&format!("u UID STORE {uid} +FLAGS.SILENT ($Approved)"))
        .await;
    // The next thing bob hears is the keyword (and never alice's \Seen).
    let got = read_until(&mut bob, &[&format!("* {seq} FETCH ("), "$Approved"]).await;
    assert!(!got.contains("\\Seen"), "alice's \\Seen reached bob: {got}");
    bob.send(b"DONE\r\n").await;
    assert_eq!(tagged(&bob.read_tagged("i").await), "i OK IDLE terminated");
    assert_eq!(
        flags_of(&mut bob, uid).await,
        set(&["\\Flagged", "$Approved"])
    );
    assert_eq!(
        flags_of(&mut alice, uid).await,
        set(&["\\Flagged", "\\Seen", "$Approved"])
    );
    // bob's \Seen stays his.
    bob.command(&format!("v UID STORE {uid} +FLAGS.SILENT (\\Seen)"))
        .await;
    alice
        .command(&format!("x UID STORE {uid} -FLAGS.SILENT (\\Seen)"))
        .await;
    assert_eq!(
        flags_of(&mut alice, uid).await,
        set(&["\\Flagged", "$Approved"])
    );
    assert_eq!(
        flags_of(&mut bob, uid).await,
        set(&["\\Flagged", "\\Seen", "$Approved"])
    );
    let shared = message_ids(&mut bob).await;
    assert_eq!(shared.get(&uid).map(String::as_str), Some("<shared@test>"));
    assert_eq!(message_ids(&mut alice).await, shared);
    drop(alice);

    // kill -9 of A while three connections append.
    let library = emulator.node_id(LIBRARY).expect(LIBRARY);
    let files_before = files_in(emulator, &library);
    let appenders: Vec<_> = (0..3)
        .map(|me| tokio::spawn(appender(replica_a.address, me)))
        .collect();
    let guard = tokio::time::Instant::now() + GUARD;
    while files_in(emulator, &library) < files_before + 15 {
        assert!(
            tokio::time::Instant::now() < guard,
            "the appenders stored nothing"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    replica_a.kill();
    let mut confirmed = BTreeMap::new();
    for appender in appenders {
        confirmed.extend(appender.await.unwrap());
    }
    assert!(
        !confirmed.is_empty(),
        "no APPEND was answered before the kill"
    );
    let files_after = files_in(emulator, &library);

    // On B: every APPEND answered OK, with its UID; every stored document; nothing twice.
    let mut alice_b = replica_b.login("alice").await;
    select(&mut alice_b, LIBRARY_MAILBOX).await;
    let after = message_ids(&mut alice_b).await;
    for (uid, id) in &shared {
        assert_eq!(after.get(uid), Some(id), "{id} lost its UID {uid}");
    }
    let by_id: BTreeMap<&String, u32> = after.iter().map(|(uid, id)| (id, *uid)).collect();
    for (id, uid) in &confirmed {
        assert_eq!(by_id.get(id), Some(uid), "{id} was answered with UID {uid}");
    }
    assert_eq!(
        after.len() - shared.len(),
        files_after - files_before,
        "every document stored during the run shows, once"
    );
    let distinct: BTreeSet<&String> = after.values().collect();
    assert_eq!(distinct.len(), after.len(), "a message shows twice");
    assert_eq!(
        flags_of(&mut alice_b, uid).await,
        set(&["\\Flagged", "$Approved"])
    );
    select(&mut bob, LIBRARY_MAILBOX).await;
    assert_eq!(message_ids(&mut bob).await, after);

    eprintln!("checked replica B after the kill");
    // A started again on the same state agrees with B, and hands out a fresh UID.
    let replica_a = deployment.replica("a2").await;
    let mut alice_a = replica_a.login("alice").await;
    select(&mut alice_a, LIBRARY_MAILBOX).await;
    assert_eq!(message_ids(&mut alice_a).await, after);
    eprintln!("replica A again agrees");
    let answer = append(
        &mut alice_a,
        "n",
        LIBRARY_MAILBOX,
        "",
        &email("after", "<after@test>"),
    )
    .await;
    let highest = after.keys().max().copied().unwrap_or(0);
    assert!(append_uid(&answer) > highest, "{answer}");
}

/// The delay from a flag change sent to replica A (alice's `UID STORE`) until bob, idling on
/// replica B with polling switched off, sees its `FETCH (FLAGS)` through PostgreSQL
/// `LISTEN`/`NOTIFY`, over `ALFRESCO_IMAP_BENCH_CHANGES` changes (default 100; a shared
/// keyword set and cleared in turn). A measurement, not a test: run it with
/// `cargo test --test state_replicas bench_flag_change_between_replicas -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: prints figures"]
async fn bench_flag_change_between_replicas() {
    let Some(server) = server("bench_flag_change_between_replicas") else {
        return;
    };
    let changes: usize = std::env::var("ALFRESCO_IMAP_BENCH_CHANGES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let deployment = Deployment::create(server).await;
    let replica_a = deployment.replica("a").await;
    let replica_b = deployment.replica("b").await;
    let mut alice = replica_a.login("alice").await;
    let mut bob = replica_b.login("bob").await;
    select(&mut alice, LIBRARY_MAILBOX).await;
    select(&mut bob, LIBRARY_MAILBOX).await;
    let uid = *message_ids(&mut alice)
        .await
        .keys()
        .next()
        .expect("the demo library has documents");
    let seq = 1;
    bob.send(b"i IDLE\r\n").await;
    assert_eq!(bob.read_line().await, "+ idling\r\n");
    let cpu_before = [replica_a.child.id(), replica_b.child.id()].map(cpu_seconds);
    let mut delays = Vec::with_capacity(changes);
    for i in 0..changes {
        let set = i % 2 == 0;
        let op = if set { '+' } else { '-' };
        let started = std::time::Instant::now();
        let stored = alice
            .command(&format!("s{i} UID STORE {uid} {op}FLAGS.SILENT ($Bench)"))
            .await;
        assert!(tagged(&stored).starts_with(&format!("s{i} OK")), "{stored}");
        loop {
            let line = bob.read_line().await;
            if line.starts_with(&format!("* {seq} FETCH (")) && line.contains("$Bench") == set {
                break;
            }
        }
        delays.push(started.elapsed());
    }
    let cpu_after = [replica_a.child.id(), replica_b.child.id()].map(cpu_seconds);
    bob.send(b"DONE\r\n").await;
    bob.read_tagged("i").await;
    delays.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{} flag changes, replica A to an idling client on replica B: median {:.1} ms, \
         90th percentile {:.1} ms, worst {:.1} ms, best {:.1} ms; CPU time replica A {:.2} s, \
         replica B {:.2} s",
        delays.len(),
        ms(delays[delays.len() / 2]),
        ms(delays[delays.len() * 9 / 10]),
        ms(delays[delays.len() - 1]),
        ms(delays[0]),
        cpu_after[0] - cpu_before[0],
        cpu_after[1] - cpu_before[1],
    );
}

// ---------------------------------------------------------------------------------------
// state migrate

fn migrate(url: &str) -> (bool, String, String) {
    let output = Command::new(PRODUCT)
        .args(["state", "migrate", "-D"])
        .arg(format!("imap.sidecar.state.url={url}"))
        .stdin(Stdio::null())
        .output()
        .expect("the product runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn state_migrate_creates_and_then_keeps_an_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new").join("state.db");
    let url = format!("sqlite:{}", path.display());
    assert_eq!(
        migrate(&url),
        (
            true,
            format!(
                "SQLite state file {}: schema version {SCHEMA_VERSION} (migrated from version 0)\n",
                path.display()
            ),
            String::new()
        )
    );
    assert!(path.exists());
    assert_eq!(
        migrate(&url),
        (
            true,
            format!(
                "SQLite state file {}: schema version {SCHEMA_VERSION} (up to date)\n",
                path.display()
            ),
            String::new()
        )
    );
}

#[test]
fn state_migrate_without_a_store_fails() {
    let (ok, stdout, stderr) = migrate("postgresql://imap@127.0.0.1:1/imap");
    assert!(!ok);
    assert_eq!(stdout, "");
    assert!(
        stderr.starts_with("error: state store unavailable: "),
        "{stderr}"
    );
}

#[test]
fn state_migrate_has_help() {
    let output = Command::new(PRODUCT)
        .args(["state", "migrate", "--help"])
        .output()
        .expect("the product runs");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for needle in [
        "Applies the schema migrations this version of the server knows",
        "imap.sidecar.state.url",
        "alfresco-imap state migrate -D imap.sidecar.state.url=postgresql://",
        "--config <FILE>",
    ] {
        assert!(help.contains(needle), "{needle:?} missing from:\n{help}");
    }
}

#[tokio::test]
async fn state_migrate_creates_and_then_keeps_a_postgresql_schema() {
    let Some(server) = server("state_migrate_creates_and_then_keeps_a_postgresql_schema") else {
        return;
    };
    let database = Database::create(server).await;
    let url = database.url.to_string();
    let first = tokio::task::spawn_blocking({
        let url = url.clone();
        move || migrate(&url)
    })
    .await
    .unwrap();
    assert_eq!(
        first,
        (
            true,
            format!(
                "PostgreSQL state database: schema version {SCHEMA_VERSION} (migrated from version 0)\n"
            ),
            String::new()
        )
    );
    let again = tokio::task::spawn_blocking(move || migrate(&url))
        .await
        .unwrap();
    assert_eq!(
        again.1,
        format!("PostgreSQL state database: schema version {SCHEMA_VERSION} (up to date)\n")
    );
    let version: i64 = connect(&database.url)
        .await
        .query_one("SELECT version FROM schema_version", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(version, SCHEMA_VERSION);
}
