//! Repository faults: REST calls fail with 500, 502/503, 401 mid-session, answers slower than
//! the timeout, reset connections and truncated bodies (emulator fault switches and a proxy
//! that breaks connections). Reads answer `NO [UNAVAILABLE]` and work again on the same
//! connection once the repository recovers; APPEND, COPY, MOVE and EXPUNGE answer OK only for
//! changes the repository confirmed, leave no half-made node and never duplicate a message a
//! client sends again; the gauges return to their baseline. Then 50 clients work through a
//! schedule of all of these faults, and every message is checked against the repository.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use alfresco_imap::emulator::{Fault, HomeSetup, NewPerson};
use common::client::RawClient;
use common::product::{Product, eventually, fast_emulator};
use common::proxy::ProxyMode;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Timeouts short enough for tests; listings never cached, so every read asks the repository.
const PROPERTIES: &[&str] = &[
    "imap.sidecar.rest.requestTimeoutMs=300",
    "imap.sidecar.rest.transferTimeoutMs=300",
    "imap.sidecar.rest.connectTimeoutMs=300",
    "imap.sidecar.rest.retries=1",
    "imap.sidecar.cache.listingTtlMs=0",
];

async fn product() -> Product {
    Product::start_with(fast_emulator(), PROPERTIES, true).await
}

/// A fault and how to switch it on and off.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Status(u16),
    Slow,
    Reset,
    Truncate,
}

const READ_FAULTS: &[Kind] = &[
    Kind::Status(500),
    Kind::Status(502),
    Kind::Status(503),
    Kind::Slow,
    Kind::Reset,
    Kind::Truncate,
];

fn switch_on(product: &Product, kind: Kind, method: &str, path: &str) {
    match kind {
        Kind::Status(status) => {
            product
                .emulator
                .add_fault(Fault::status(Some(method), path, status));
        }
        Kind::Slow => {
            product.emulator.add_fault(Fault::delay(
                Some(method),
                path,
                Duration::from_millis(450),
            ));
        }
        Kind::Reset => product.proxy.as_ref().unwrap().set(ProxyMode::Reset),
        Kind::Truncate => product.proxy.as_ref().unwrap().set(ProxyMode::Truncate),
    }
}

fn switch_off(product: &Product) {
    product.emulator.clear_faults();
    product.proxy.as_ref().unwrap().set(ProxyMode::Pass);
}

/// What a phase of the fault schedule switches on.
type Phase = Box<dyn Fn(&Product) + Send>;

const UNAVAILABLE: &str = "NO [UNAVAILABLE] The repository is unavailable, try again later\r\n";

#[tokio::test]
async fn reads_fail_as_unavailable_and_work_again_on_the_same_connection() {
    let product = product().await;
    let mut alice = product.user("alice").await;
    for (round, kind) in READ_FAULTS.iter().enumerate() {
        let select = alice.command(&format!("s{round} SELECT INBOX")).await;
        assert!(select.contains("OK [READ-WRITE]"), "{kind:?}: {select}");
        println!("fault: {kind:?}");
        switch_on(&product, *kind, "GET", "/");
        assert_eq!(
            alice.command(&format!("f{round} FETCH 1 BODY[]")).await,
            format!("f{round} {UNAVAILABLE}"),
            "{kind:?}"
        );
        assert_eq!(
            alice.command(&format!("l{round} SELECT Sent")).await,
            format!("l{round} {UNAVAILABLE}"),
            "{kind:?}"
        );
        switch_off(&product);
        let select = alice.command(&format!("t{round} SELECT INBOX")).await;
        assert!(select.contains("* 6 EXISTS"), "{kind:?}: {select}");
        let fetch = alice.command(&format!("u{round} FETCH 1 BODY[]")).await;
        assert!(
            fetch.ends_with(&format!("u{round} OK FETCH completed\r\n")),
            "{kind:?}: {fetch}"
        );
    }
    assert!(product.proxy.as_ref().unwrap().broken() > 0);
}

#[tokio::test]
async fn a_401_mid_session_is_renewed_once_and_ends_the_session_when_it_persists() {
    let product = product().await;
    let mut alice = product.user("alice").await;
    assert!(alice.command("a SELECT INBOX").await.contains("* 6 EXISTS"));
    product
        .emulator
        .add_fault(Fault::status(Some("GET"), "/children", 401).times(1));
    assert!(alice.command("b SELECT INBOX").await.contains("* 6 EXISTS"));
    product
        .emulator
        .add_fault(Fault::status(Some("GET"), "/children", 401));
    assert_eq!(
        alice.command_then_close("c SELECT Sent").await,
        "* BYE Your login is no longer valid\r\n"
    );
    product.emulator.clear_faults();
    let mut again = product.user("alice").await;
    assert!(again.command("d SELECT INBOX").await.contains("* 6 EXISTS"));
}

/// The e-mails in a folder, by the Message-ID in their content.
fn messages_in(product: &Product, path: &str) -> BTreeMap<String, usize> {
    use alfresco_imap::emulator::repo::node::ContentData;
    let folder = product.emulator.node_id(path).expect(path);
    product.emulator.with_repository(|r| {
        let mut found = BTreeMap::new();
        for child in &r.live(&folder).unwrap().children {
            let Some(node) = r.live(child) else { continue };
            let content = match node.content.as_ref().map(|c| &c.data) {
                Some(ContentData::Bytes(bytes)) => String::from_utf8_lossy(bytes).into_owned(),
                _ => String::new(),
            };
            let id = content
                .split("Message-ID: <")
                .nth(1)
                .and_then(|rest| rest.split('>').next())
                .unwrap_or(&node.name)
                .to_owned();
            *found.entry(id).or_insert(0) += 1;
        }
        found
    })
}

fn email(id: &str) -> String {
    format!(
        "From: load@example.com\r\nTo: alice@example.com\r\nSubject: {id}\r\nMessage-ID: <{id}>\r\n\r\n{id}\r\n"
    )
}

async fn append(client: &mut RawClient, tag: &str, folder: &str, id: &str) -> String {
    let message = email(id);
    client
        .command(&format!(
            "{tag} APPEND {folder} {{{}+}}\r\n{message}",
            message.len()
        ))
        .await
}

#[tokio::test]
async fn writes_answer_ok_only_when_the_repository_confirmed_them() {
    let product = product().await;
    let proxy = product.proxy.as_ref().unwrap();
    let baseline_tasks = product.app().server.tasks();
    let mut alice = product.user("alice").await;
    let inbox = "Imap Home/alice/INBOX";
    let count = |id: &str| messages_in(&product, inbox).get(id).copied().unwrap_or(0);

    // Refused before anything was stored.
    product
        .emulator
        .add_fault(Fault::status(Some("POST"), "/children", 500));
    assert_eq!(
        append(&mut alice, "a", "INBOX", "w1@test").await,
        format!("a {UNAVAILABLE}")
    );
    switch_off(&product);
    assert_eq!(count("w1@test"), 0);

    // Stored, but the answer was lost: the chosen name shows it was stored.
    for (n, status) in [500u16, 502, 503].into_iter().enumerate() {
        let id = format!("w2-{n}@test");
        product
            .emulator
            .add_fault(Fault::status(Some("POST"), "/children", status).after_handling());
        let answer = append(&mut alice, "b", "INBOX", &id).await;
        switch_off(&product);
        assert!(answer.starts_with("b OK [APPENDUID "), "{status}: {answer}");
        assert_eq!(count(&id), 1);
    }

    // Stored after the timeout: reported failed, then removed when it shows up; the client's
    // second try stores it once.
    product.emulator.add_fault(Fault::delay(
        Some("POST"),
        "/children",
        Duration::from_millis(450),
    ));
    assert_eq!(
        append(&mut alice, "c", "INBOX", "w3@test").await,
        format!("c {UNAVAILABLE}")
    );
    switch_off(&product);
    assert!(
        append(&mut alice, "d", "INBOX", "w3@test")
            .await
            .starts_with("d OK [APPENDUID ")
    );
    eventually("late uploads are cleaned up", || {
        product.app().backend.pending_upload_checks() == 0
    })
    .await;
    assert_eq!(product.app().backend.late_uploads_removed(), 1);
    assert_eq!(count("w3@test"), 1);

    // The answer is cut off (and the repository cannot be asked afterwards): the same.
    proxy.set(ProxyMode::Truncate);
    let cut = append(&mut alice, "e", "INBOX", "w4@test").await;
    assert_eq!(cut, format!("e {UNAVAILABLE}"));
    proxy.set(ProxyMode::Pass);
    eventually("late uploads are cleaned up", || {
        product.app().backend.pending_upload_checks() == 0
    })
    .await;
    assert_eq!(count("w4@test"), 0);
    assert!(
        append(&mut alice, "f", "INBOX", "w4@test")
            .await
            .starts_with("f OK [APPENDUID ")
    );
    assert_eq!(count("w4@test"), 1);

    // The connection is reset before the request arrives.
    proxy.set(ProxyMode::Reset);
    assert_eq!(
        append(&mut alice, "g", "INBOX", "w5@test").await,
        format!("g {UNAVAILABLE}")
    );
    proxy.set(ProxyMode::Pass);
    assert_eq!(count("w5@test"), 0);

    // COPY: nothing left behind when it fails, confirmed when the answer was lost.
    assert!(
        alice
            .command("h SELECT INBOX")
            .await
            .contains("OK [READ-WRITE]")
    );
    let archive = "Imap Home/alice/Archive";
    let archived = || messages_in(&product, archive).values().sum::<usize>();
    let before = archived();
    product
        .emulator
        .add_fault(Fault::status(Some("POST"), "/children", 500));
    assert_eq!(
        alice.command("i COPY 1:2 Archive").await,
        format!("i {UNAVAILABLE}")
    );
    switch_off(&product);
    assert_eq!(archived(), before, "a failed COPY left copies behind");
    product.emulator.add_fault(
        Fault::status(Some("POST"), "/children", 500)
            .after_handling()
            .times(1),
    );
    let copied = alice.command("j COPY 1 Archive").await;
    assert!(copied.starts_with("j OK [COPYUID "), "{copied}");
    assert_eq!(archived(), before + 1);

    // MOVE: refused means still there.
    product
        .emulator
        .add_fault(Fault::status(Some("POST"), "/move", 503));
    let moved = alice.command("k MOVE 1 Archive").await;
    assert!(moved.ends_with(&format!("k {UNAVAILABLE}")), "{moved}");
    switch_off(&product);
    assert_eq!(archived(), before + 1);
    assert!(
        alice
            .command("l NOOP")
            .await
            .ends_with("l OK NOOP completed\r\n")
    );

    // EXPUNGE: a message the repository did not delete is not reported expunged.
    let inbox_before = messages_in(&product, inbox).values().sum::<usize>();
    alice.command("m STORE 1 +FLAGS.SILENT (\\Deleted)").await;
    product
        .emulator
        .add_fault(Fault::status(Some("DELETE"), "/nodes/", 500));
    let expunge = alice.command("n EXPUNGE").await;
    assert!(!expunge.contains("* 1 EXPUNGE"), "{expunge}");
    assert!(expunge.ends_with(&format!("n {UNAVAILABLE}")), "{expunge}");
    switch_off(&product);
    assert_eq!(
        messages_in(&product, inbox).values().sum::<usize>(),
        inbox_before
    );
    let expunge = alice.command("o EXPUNGE").await;
    assert!(expunge.starts_with("* 1 EXPUNGE\r\n"), "{expunge}");
    assert_eq!(
        messages_in(&product, inbox).values().sum::<usize>(),
        inbox_before - 1
    );

    // The gauges are back where they started.
    assert_eq!(
        alice.command("z LOGOUT").await.lines().last(),
        Some("z OK LOGOUT completed")
    );
    eventually("every gauge is back to its baseline", || {
        product.gauges().connections.load(Ordering::Relaxed) == 0
            && product.app().server.tasks() == baseline_tasks
            && product.app().backend.client().metrics().in_flight() == 0
            && product.app().backend.pending_upload_checks() == 0
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// 50 clients through a fault schedule.

/// A client for the load test: line-oriented, and a closed connection is an answer, not a
/// panic (a real client reconnects).
struct LoadClient {
    reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: tokio::net::tcp::OwnedWriteHalf,
    next: u32,
}

impl LoadClient {
    async fn connect(address: std::net::SocketAddr) -> Option<Self> {
        let stream = TcpStream::connect(address).await.ok()?;
        let (read, writer) = stream.into_split();
        let mut client = Self {
            reader: BufReader::new(read),
            writer,
            next: 0,
        };
        let mut greeting = String::new();
        client.reader.read_line(&mut greeting).await.ok()?;
        greeting.starts_with("* OK").then_some(client)
    }

    /// Sends a command and returns every line up to its tagged answer; `None` when the
    /// connection ended.
    async fn command(&mut self, command: &str) -> Option<String> {
        self.next += 1;
        let tag = format!("T{}", self.next);
        self.writer
            .write_all(format!("{tag} {command}\r\n").as_bytes())
            .await
            .ok()?;
        let mut answer = String::new();
        loop {
            let mut line = String::new();
            let read =
                tokio::time::timeout(common::client::GUARD, self.reader.read_line(&mut line))
                    .await
                    .expect("the server hung");
            if read.ok()? == 0 {
                return None;
            }
            answer.push_str(&line);
            if line.starts_with(&format!("{tag} ")) {
                return Some(answer);
            }
            if line.starts_with("* BYE") {
                return None;
            }
        }
    }
}

fn tagged_ok(answer: &str) -> bool {
    answer
        .lines()
        .last()
        .is_some_and(|l| l.split(' ').nth(1) == Some("OK"))
}

/// What one client saw.
#[derive(Debug, Default)]
struct ClientReport {
    appended: Vec<String>,
    moved: Vec<String>,
    attempts: usize,
    reconnects: usize,
}

async fn connected(
    address: std::net::SocketAddr,
    user: &str,
    report: &mut ClientReport,
) -> LoadClient {
    loop {
        report.reconnects += 1;
        if let Some(mut client) = LoadClient::connect(address).await
            && let Some(answer) = client.command(&format!("LOGIN {user} pw-{user}")).await
            && tagged_ok(&answer)
            && let Some(answer) = client.command("SELECT INBOX").await
            && tagged_ok(&answer)
        {
            return client;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// One client: appends its messages, retrying each until the server says OK, moves the first
/// one to Archive, reading in between.
async fn work(
    address: std::net::SocketAddr,
    user: String,
    me: usize,
    messages: usize,
) -> ClientReport {
    let mut report = ClientReport::default();
    let mut client = connected(address, &user, &mut report).await;
    for k in 0..messages {
        let id = format!("{user}-c{me}-m{k}@load");
        let message = email(&id);
        loop {
            report.attempts += 1;
            match client
                .command(&format!("APPEND INBOX {{{}+}}\r\n{message}", message.len()))
                .await
            {
                Some(answer) if tagged_ok(&answer) => break,
                Some(_) => tokio::time::sleep(Duration::from_millis(5)).await,
                None => client = connected(address, &user, &mut report).await,
            }
        }
        report.appended.push(id.clone());
        if client.command("NOOP").await.is_none() {
            client = connected(address, &user, &mut report).await;
        }
    }
    // Move the first message to Archive, found by its Message-ID.
    let first = format!("{user}-c{me}-m0@load");
    for _ in 0..200 {
        let Some(search) = client
            .command(&format!("UID SEARCH HEADER Message-ID \"<{first}>\""))
            .await
        else {
            client = connected(address, &user, &mut report).await;
            continue;
        };
        let uid = search
            .lines()
            .find_map(|l| l.strip_prefix("* SEARCH"))
            .and_then(|rest| rest.split_whitespace().next().map(str::to_owned));
        let Some(uid) = uid else {
            if tagged_ok(&search) {
                // Gone from INBOX: an earlier MOVE was done after all.
                report.moved.push(first.clone());
                break;
            }
            continue;
        };
        match client.command(&format!("UID MOVE {uid} Archive")).await {
            Some(answer) if tagged_ok(&answer) => {
                report.moved.push(first.clone());
                break;
            }
            Some(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            None => client = connected(address, &user, &mut report).await,
        }
    }
    let _ = client.command("LOGOUT").await;
    report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_clients_through_a_fault_schedule_lose_and_duplicate_nothing() {
    const USERS: usize = 10;
    const CLIENTS_PER_USER: usize = 5;
    const MESSAGES: usize = 4;
    let product = Arc::new(product().await);
    for u in 0..USERS {
        let user = format!("load{u}");
        product.emulator.add_user(NewPerson {
            id: user.clone(),
            password: format!("pw-{user}"),
            first_name: user.clone(),
            last_name: None,
            email: None,
            admin: false,
        });
        product
            .emulator
            .create_imap_home(&user, HomeSetup::Provisioned);
    }
    let baseline_tasks = product.app().server.tasks();

    // The schedule: each phase for a few tens of milliseconds, round and round.
    let running = Arc::new(AtomicBool::new(true));
    let phases_run = Arc::new(AtomicUsize::new(0));
    let schedule = {
        let product = product.clone();
        let running = running.clone();
        let phases_run = phases_run.clone();
        tokio::spawn(async move {
            let phases: Vec<(&str, Phase)> = vec![
                ("pass", Box::new(|_: &Product| {})),
                (
                    "500 on upload",
                    Box::new(|p: &Product| {
                        p.emulator
                            .add_fault(Fault::status(Some("POST"), "/children", 500));
                    }),
                ),
                (
                    "lost upload answers",
                    Box::new(|p: &Product| {
                        p.emulator.add_fault(
                            Fault::status(Some("POST"), "/children", 500).after_handling(),
                        );
                    }),
                ),
                (
                    "503 on reads",
                    Box::new(|p: &Product| {
                        p.emulator.add_fault(Fault::status(Some("GET"), "/", 503));
                    }),
                ),
                (
                    "uploads past the timeout",
                    Box::new(|p: &Product| {
                        p.emulator.add_fault(Fault::delay(
                            Some("POST"),
                            "/children",
                            Duration::from_millis(450),
                        ));
                    }),
                ),
                (
                    "reset connections",
                    Box::new(|p: &Product| {
                        p.proxy.as_ref().unwrap().set(ProxyMode::Reset);
                    }),
                ),
                (
                    "truncated bodies",
                    Box::new(|p: &Product| {
                        p.proxy.as_ref().unwrap().set(ProxyMode::Truncate);
                    }),
                ),
                (
                    "401s",
                    Box::new(|p: &Product| {
                        p.emulator.add_fault(Fault::status(None, "/", 401).times(3));
                    }),
                ),
                (
                    "lost move answers",
                    Box::new(|p: &Product| {
                        p.emulator
                            .add_fault(Fault::status(Some("POST"), "/move", 502).after_handling());
                    }),
                ),
                (
                    "502 on everything",
                    Box::new(|p: &Product| {
                        p.emulator.add_fault(Fault::status(None, "/", 502));
                    }),
                ),
            ];
            let mut n = 0usize;
            while running.load(Ordering::SeqCst) {
                let (_, start) = &phases[n % phases.len()];
                start(&product);
                tokio::time::sleep(Duration::from_millis(if n.is_multiple_of(2) {
                    40
                } else {
                    25
                }))
                .await;
                switch_off(&product);
                // Some calm between faults, so the clients make progress.
                tokio::time::sleep(Duration::from_millis(30)).await;
                phases_run.fetch_add(1, Ordering::SeqCst);
                n += 1;
            }
            switch_off(&product);
        })
    };

    let mut clients = Vec::new();
    for u in 0..USERS {
        for c in 0..CLIENTS_PER_USER {
            let address = product.address;
            clients.push(tokio::spawn(work(address, format!("load{u}"), c, MESSAGES)));
        }
    }
    let mut reports = Vec::new();
    for client in clients {
        reports.push(client.await.unwrap());
    }
    running.store(false, Ordering::SeqCst);
    schedule.await.unwrap();
    eventually("late uploads are cleaned up", || {
        product.app().backend.pending_upload_checks() == 0
    })
    .await;

    // Every message against the repository.
    let mut checked = 0;
    let mut lost = Vec::new();
    let mut duplicated = Vec::new();
    let mut unexpected = Vec::new();
    for u in 0..USERS {
        let user = format!("load{u}");
        let inbox = messages_in(&product, &format!("Imap Home/{user}/INBOX"));
        let archive = messages_in(&product, &format!("Imap Home/{user}/Archive"));
        let mut all = inbox.clone();
        for (id, n) in &archive {
            *all.entry(id.clone()).or_insert(0) += n;
        }
        for c in 0..CLIENTS_PER_USER {
            for k in 0..MESSAGES {
                let id = format!("{user}-c{c}-m{k}@load");
                checked += 1;
                match all.remove(&id).unwrap_or(0) {
                    0 => lost.push(id),
                    1 => {}
                    _ => duplicated.push(id),
                }
            }
            let moved = format!("{user}-c{c}-m0@load");
            assert_eq!(
                archive.get(&moved),
                Some(&1),
                "{moved} is not in Archive: {archive:?}"
            );
        }
        unexpected.extend(all.into_keys());
    }
    let attempts: usize = reports.iter().map(|r| r.attempts).sum();
    let reconnects: usize = reports.iter().map(|r| r.reconnects).sum::<usize>() - reports.len();
    println!(
        "fault schedule: {} phases, {} APPEND attempts for {} messages, {} reconnects, {} broken \
         connections, {} late uploads removed; checked {checked}: lost {}, duplicated {}, \
         unexpected {}",
        phases_run.load(Ordering::SeqCst),
        attempts,
        checked,
        reconnects,
        product.proxy.as_ref().unwrap().broken(),
        product.app().backend.late_uploads_removed(),
        lost.len(),
        duplicated.len(),
        unexpected.len()
    );
    assert!(lost.is_empty(), "lost: {lost:?}");
    assert!(duplicated.is_empty(), "duplicated: {duplicated:?}");
    assert!(unexpected.is_empty(), "unexpected: {unexpected:?}");
    assert!(
        attempts > checked,
        "the faults never made a client try again"
    );

    eventually("every gauge is back to its baseline", || {
        product.gauges().connections.load(Ordering::Relaxed) == 0
            && product.app().server.tasks() == baseline_tasks
            && product.app().backend.client().metrics().in_flight() == 0
    })
    .await;
}
