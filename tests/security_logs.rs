//! What the product writes about credentials: every log line of this test process is captured
//! at TRACE level (the product's, the REST client's, hyper's and rustls's), and no password,
//! ticket or token of the test users may appear in it, nor in any answer a client got, nor in
//! the REST metrics. Failed logins are throttled per address and per user (below the
//! repository's own lockout), each with one clear log line that names the user and the
//! address and not the password.

mod common;

use std::io::Write;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, OnceLock};

use alfresco_imap::emulator::{EmulatorOptions, Fault, HomeSetup, NewPerson};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::client::RawClient;
use common::product::{Product, eventually, fast_emulator};

/// Everything logged by this process so far.
#[derive(Clone)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn logs() -> Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let captured = Captured(Arc::new(Mutex::new(Vec::new())));
        let writer = captured.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .init();
        captured
    })
    .clone()
}

fn log_text() -> String {
    String::from_utf8_lossy(&logs().0.lock().unwrap()).into_owned()
}

fn add_user(product: &Product, user: &str, password: &str) {
    product.emulator.add_user(NewPerson {
        id: user.into(),
        password: password.into(),
        first_name: user.into(),
        last_name: None,
        email: Some(format!("{user}@example.com")),
        admin: false,
    });
    product
        .emulator
        .create_imap_home(user, HomeSetup::Provisioned);
}

fn set_password(product: &Product, user: &str, password: &str) {
    product.emulator.with_repository(|r| {
        r.person_mut(user).unwrap().password = password.into();
    });
}

/// A client that keeps everything it received.
struct Recorded {
    client: RawClient,
    transcript: Arc<Mutex<String>>,
}

impl Recorded {
    async fn connect(product: &Product, transcript: &Arc<Mutex<String>>) -> Self {
        let (client, greeting) = RawClient::connect(product.address).await;
        transcript.lock().unwrap().push_str(&greeting);
        Self {
            client,
            transcript: transcript.clone(),
        }
    }

    async fn command(&mut self, line: &str) -> String {
        let answer = self.client.command(line).await;
        self.transcript.lock().unwrap().push_str(&answer);
        answer
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.client.send(bytes).await;
    }

    async fn read_line(&mut self) -> String {
        let line = self.client.read_line().await;
        self.transcript.lock().unwrap().push_str(&line);
        line
    }

    async fn command_then_close(&mut self, line: &str) -> String {
        let answer = self.client.command_then_close(line).await;
        self.transcript.lock().unwrap().push_str(&answer);
        answer
    }
}

fn ok(answer: &str, tag: &str) {
    assert!(
        answer
            .lines()
            .last()
            .unwrap_or("")
            .starts_with(&format!("{tag} OK")),
        "{answer}"
    );
}

#[tokio::test]
async fn no_password_ticket_or_token_in_logs_answers_or_metrics() {
    let _ = logs();
    let product = Product::start_with(
        EmulatorOptions {
            record: true,
            ..fast_emulator()
        },
        &[
            "imap.sidecar.auth.oauth.enabled=true",
            "imap.sidecar.cache.listingTtlMs=0",
        ],
        false,
    )
    .await;
    let alice_password = "Alice-pw-9f3b1c7e";
    let bob_password = "Bob-pw-77e2aa41";
    let carol_password = "Carol-pw-0d5e9b22";
    let wrong_password = "Alice-pw-WRONG-4c1a";
    set_password(&product, "alice", alice_password);
    set_password(&product, "bob", bob_password);
    add_user(&product, "carol", carol_password);
    let mut secrets: Vec<String> = vec![
        alice_password.into(),
        bob_password.into(),
        carol_password.into(),
        wrong_password.into(),
    ];
    let transcript = Arc::new(Mutex::new(String::new()));

    // Logging in every way, and failing to.
    let mut alice = Recorded::connect(&product, &transcript).await;
    let answer = alice
        .command(&format!("w LOGIN alice \"{wrong_password}\""))
        .await;
    assert_eq!(
        answer,
        "w NO [AUTHENTICATIONFAILED] Authentication failed\r\n"
    );
    ok(
        &alice
            .command(&format!("a LOGIN alice {alice_password}"))
            .await,
        "a",
    );
    let mut bob = Recorded::connect(&product, &transcript).await;
    let plain = STANDARD.encode(format!("\0bob\0{bob_password}"));
    secrets.push(plain.clone());
    ok(
        &bob.command(&format!("b AUTHENTICATE PLAIN {plain}")).await,
        "b",
    );
    let mut carol = Recorded::connect(&product, &transcript).await;
    carol.send(b"c AUTHENTICATE LOGIN\r\n").await;
    assert_eq!(carol.read_line().await, "+ VXNlcm5hbWU6\r\n");
    carol
        .send(format!("{}\r\n", STANDARD.encode("carol")).as_bytes())
        .await;
    assert_eq!(carol.read_line().await, "+ UGFzc3dvcmQ6\r\n");
    let encoded = STANDARD.encode(carol_password);
    secrets.push(encoded.clone());
    carol.send(format!("{encoded}\r\n").as_bytes()).await;
    assert!(carol.read_line().await.starts_with("c OK [CAPABILITY "));
    for user in ["alice", "bob", "carol"] {
        secrets.extend(product.emulator.ticket_of(user));
    }

    // Everyday work, with repository faults on the way.
    for line in [
        "d LIST \"\" \"*\"",
        "e SELECT INBOX",
        "f FETCH 1:* (UID FLAGS ENVELOPE BODYSTRUCTURE BODY.PEEK[])",
        "g SEARCH TEXT \"report\"",
        "h STATUS Sent (MESSAGES UIDNEXT)",
        "i SELECT \"Alfresco IMAP/Sites/marketing/documentLibrary\"",
        "j FETCH 1:3 (UID BODY.PEEK[])",
        "k SELECT INBOX",
        "l UID COPY 1 Archive",
        "m UID MOVE 2 Trash",
        "n STORE 1 +FLAGS (\\Deleted)",
        "o EXPUNGE",
    ] {
        let tag = &line[..1];
        ok(&alice.command(line).await, tag);
    }
    let message = "From: alice@example.com\r\nSubject: secrets\r\n\r\nnothing to see\r\n";
    ok(
        &alice
            .command(&format!(
                "p APPEND INBOX {{{}+}}\r\n{message}",
                message.len()
            ))
            .await,
        "p",
    );
    product
        .emulator
        .add_fault(Fault::status(Some("GET"), "/children", 500).times(20));
    let failed = alice.command("q SELECT Sent").await;
    assert!(failed.contains("NO [UNAVAILABLE]"), "{failed}");
    product.emulator.clear_faults();
    ok(&alice.command("r SELECT INBOX").await, "r");
    alice.send(b"s IDLE\r\n").await;
    assert_eq!(alice.read_line().await, "+ idling\r\n");
    alice.send(b"DONE\r\n").await;
    assert!(alice.read_line().await.starts_with("s OK"));

    // A ticket renewed after it was lost.
    let ticket = product.emulator.ticket_of("alice").unwrap();
    product
        .emulator
        .with_repository(|r| r.tickets().invalidate(&ticket));
    ok(&alice.command("t NOOP").await, "t");
    secrets.extend(product.emulator.ticket_of("alice"));
    ok(&bob.command("u SELECT INBOX").await, "u");
    ok(&bob.command("v FETCH 1 BODY[]").await, "v");

    // A renewal refused: carol's password changed.
    ok(&carol.command("x SELECT INBOX").await, "x");
    let carol_ticket = product.emulator.ticket_of("carol").unwrap();
    set_password(&product, "carol", "Carol-new-pw-61aa");
    secrets.push("Carol-new-pw-61aa".into());
    product
        .emulator
        .with_repository(|r| r.tickets().invalidate(&carol_ticket));
    assert_eq!(
        carol.command_then_close("y NOOP").await,
        "* BYE Your login is no longer valid\r\n"
    );

    // A bearer token, used and expired.
    let token = product.emulator.issue_bearer_token("bob");
    secrets.push(token.clone());
    let sasl = STANDARD.encode(format!("user=bob\x01auth=Bearer {token}\x01\x01"));
    secrets.push(sasl.clone());
    let mut bearer = Recorded::connect(&product, &transcript).await;
    ok(
        &bearer
            .command(&format!("z AUTHENTICATE XOAUTH2 {sasl}"))
            .await,
        "z",
    );
    ok(&bearer.command("a SELECT INBOX").await, "a");
    product.emulator.expire_bearer_token(&token);
    assert_eq!(
        bearer.command_then_close("b SELECT Sent").await,
        "* BYE Your login is no longer valid\r\n"
    );
    ok(&alice.command("c LOGOUT").await, "c");
    ok(&bob.command("d LOGOUT").await, "d");

    // The Basic header forms of the credentials.
    for (user, password) in [("alice", alice_password), ("bob", bob_password)] {
        secrets.push(STANDARD.encode(format!("{user}:{password}")));
    }
    let tickets: Vec<String> = secrets
        .iter()
        .filter(|s| s.starts_with("TICKET_"))
        .cloned()
        .collect();
    assert!(tickets.len() >= 4, "tickets seen: {tickets:?}");
    for ticket in tickets {
        secrets.push(STANDARD.encode(&ticket));
    }

    let logs = log_text();
    assert!(
        logs.contains("repository call"),
        "the REST client's debug lines are captured"
    );
    assert!(logs.contains("login failed"), "failed logins are logged");
    let answers = transcript.lock().unwrap().clone();
    let metrics = format!("{:?}", product.app().backend.client().metrics().snapshot());
    for secret in &secrets {
        assert!(
            !logs.contains(secret.as_str()),
            "a secret is in the logs: {secret}"
        );
        assert!(
            !answers.contains(secret.as_str()),
            "a secret is in an answer: {secret}"
        );
        assert!(
            !metrics.contains(secret.as_str()),
            "a secret is in the metrics: {secret}"
        );
    }
    println!(
        "checked {} secrets against {} bytes of logs and {} bytes of answers",
        secrets.len(),
        logs.len(),
        answers.len()
    );
}

fn tickets_asked(product: &Product, user: &str) -> Vec<u16> {
    product
        .emulator
        .recorded()
        .iter()
        .filter(|e| e.request.method == "POST" && e.request.path.ends_with("/tickets"))
        .filter(|e| {
            e.request
                .body
                .as_ref()
                .and_then(|b| b.get("userId"))
                .and_then(|u| u.as_str())
                == Some(user)
        })
        .map(|e| e.response.status)
        .collect()
}

fn address(last: u8) -> IpAddr {
    IpAddr::from([127, 0, 0, last])
}

async fn login_from(product: &Product, from: u8, user: &str, password: &str) -> String {
    let (mut c, _) = RawClient::connect_from(product.address, address(from)).await;
    c.command(&format!("l LOGIN {user} {password}")).await
}

const FAILED: &str = "l NO [AUTHENTICATIONFAILED] Authentication failed\r\n";

#[tokio::test]
async fn failed_logins_are_throttled_below_the_repository_lockout_and_logged() {
    let _ = logs();
    let product = Product::start_with(
        EmulatorOptions {
            record: true,
            ..fast_emulator()
        },
        &[
            "imap.sidecar.auth.maxFailuresPerAddress=4",
            "imap.sidecar.auth.maxFailuresPerUser=3",
            "imap.sidecar.auth.failureWindowMs=400",
            "imap.sidecar.auth.failureDelayMs=1",
        ],
        false,
    )
    .await;
    add_user(&product, "dave", "Dave-right-5e1");
    add_user(&product, "erin", "Erin-right-8b2");

    // A wrong password after a right one fails.
    assert!(
        login_from(&product, 10, "dave", "Dave-right-5e1")
            .await
            .starts_with("l OK [CAPABILITY ")
    );
    assert_eq!(
        login_from(&product, 10, "dave", "Dave-wrong-0").await,
        FAILED
    );

    // Guessing dave's password from many addresses: the repository sees at most 3 failures
    // (it locks an account after 10), the rest are refused here.
    for n in 1..=10u8 {
        assert_eq!(
            login_from(&product, 10 + n, "dave", &format!("Dave-wrong-{n}")).await,
            FAILED
        );
    }
    let refused_by_repository = tickets_asked(&product, "dave")
        .into_iter()
        .filter(|s| *s == 403)
        .count();
    assert_eq!(
        refused_by_repository, 3,
        "failures that reached the repository"
    );
    // Even the right password waits for the window to pass.
    assert_eq!(
        login_from(&product, 30, "dave", "Dave-right-5e1").await,
        FAILED
    );
    let mut after_window = String::new();
    for attempt in 0..400u32 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        after_window = login_from(
            &product,
            31 + (attempt % 100) as u8,
            "dave",
            "Dave-right-5e1",
        )
        .await;
        if after_window.starts_with("l OK") {
            break;
        }
    }
    assert!(
        after_window.starts_with("l OK [CAPABILITY "),
        "{after_window}"
    );

    // One address guessing at several accounts is locked out, whatever the account.
    for user in ["nobody1", "nobody2", "nobody3", "nobody4"] {
        assert_eq!(login_from(&product, 200, user, "Guess-pw-3").await, FAILED);
    }
    let asked = tickets_asked(&product, "erin").len();
    assert_eq!(
        login_from(&product, 200, "erin", "Erin-right-8b2").await,
        FAILED
    );
    assert_eq!(
        tickets_asked(&product, "erin").len(),
        asked,
        "the locked address reached the repository"
    );
    // Other addresses are not affected.
    assert!(
        login_from(&product, 201, "erin", "Erin-right-8b2")
            .await
            .starts_with("l OK [CAPABILITY ")
    );

    // One clear line per failure: who, from where, never the password.
    let logs = log_text();
    let lines: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("login failed") || l.contains("login refused"))
        .collect();
    for n in 1..=10u8 {
        let peer = address(10 + n).to_string();
        let about: Vec<&&str> = lines
            .iter()
            .filter(|l| l.contains("dave") && l.contains(&format!("peer={peer}")))
            .collect();
        assert_eq!(about.len(), 1, "log lines for dave from {peer}: {about:?}");
    }
    let refused = lines
        .iter()
        .filter(|l| l.contains("erin") && l.contains("peer=127.0.0.200"))
        .count();
    assert_eq!(refused, 1);
    for secret in [
        "Dave-right-5e1",
        "Dave-wrong",
        "Erin-right-8b2",
        "Guess-pw-3",
    ] {
        assert!(!logs.contains(secret), "{secret} is in the logs");
    }
    eventually("the captured logs are flushed", || !log_text().is_empty()).await;
}
