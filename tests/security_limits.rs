//! Every limit of `imap.sidecar.limits.*` and `imap.sidecar.timeouts.*`, set as a property on
//! the product (the emulator behind it): a client hits it and gets the documented answer, and
//! the server goes on serving the other connections.
//!
//! | property                         | default  | answer                                     |
//! |----------------------------------|----------|--------------------------------------------|
//! | `limits.connections`             | 1000     | `* BYE Too many connections, ...`, closed  |
//! | `limits.connectionsPerAddress`   | 100      | `* BYE Too many connections from ...`      |
//! | `limits.connectionsPerUser`      | 20       | `NO [LIMIT]` to LOGIN                      |
//! | `limits.commandLineLength`       | 65536    | `BAD [LIMIT]`                              |
//! | `limits.appendLimit` (APPENDLIMIT) | 50 MiB | `NO [TOOBIG]` before the literal is sent   |
//! | other literals > line length     |          | `BAD [LIMIT] Literal too large`            |
//! | `limits.literalsPerCommand`      | 32       | `BAD [LIMIT]`                              |
//! | `limits.nestingDepth`            | 16       | `BAD [LIMIT]`, before any parser recursion |
//! | `limits.commandsPerSecond`       | 100      | commands beyond the rate wait (no error)   |
//! | `timeouts.idleMs`                | 30 min   | `* BYE Autologout; ...`, closed            |
//! | `timeouts.authenticationMs`      | 60 s     | `* BYE Autologout; ...`, closed            |

mod common;

use std::net::IpAddr;
use std::sync::atomic::Ordering;

use common::client::RawClient;
use common::product::{Product, eventually};

const LIMIT: &str = "BAD [LIMIT] Command exceeds the server's limits\r\n";

/// A second loopback address, to stand for another client machine.
fn other_address() -> IpAddr {
    "127.0.0.2".parse().unwrap()
}

async fn still_serving(product: &Product, client: &mut RawClient) {
    assert_eq!(client.command("z NOOP").await, "z OK NOOP completed\r\n");
    let mut fresh = product.user("bob").await;
    assert_eq!(fresh.command("y NOOP").await, "y OK NOOP completed\r\n");
}

#[tokio::test]
async fn connections_overall() {
    let product = Product::start(&["imap.sidecar.limits.connections=2"]).await;
    let mut alice = product.user("alice").await;
    let (mut second, _) = RawClient::connect(product.address).await;
    let (mut third, greeting) = RawClient::connect(product.address).await;
    assert_eq!(greeting, "* BYE Too many connections, try again later\r\n");
    assert!(third.closed().await);
    assert_eq!(product.gauges().refused.load(Ordering::Relaxed), 1);
    assert_eq!(alice.command("a NOOP").await, "a OK NOOP completed\r\n");
    assert_eq!(
        second.command("b LOGOUT").await.lines().last(),
        Some("b OK LOGOUT completed")
    );
    assert!(second.closed().await);
    // The place is free again.
    eventually("the connection gauge drops", || {
        product.gauges().connections.load(Ordering::Relaxed) == 1
    })
    .await;
    still_serving(&product, &mut alice).await;
}

#[tokio::test]
async fn connections_per_address() {
    let product = Product::start(&["imap.sidecar.limits.connectionsPerAddress=2"]).await;
    let mut alice = product.user("alice").await;
    let (_second, _) = RawClient::connect(product.address).await;
    let (mut third, greeting) = RawClient::connect(product.address).await;
    assert_eq!(greeting, "* BYE Too many connections from your address\r\n");
    assert!(third.closed().await);
    assert_eq!(
        product.gauges().refused_per_address.load(Ordering::Relaxed),
        1
    );
    // Another machine is not affected, and the first connections go on.
    let (mut elsewhere, greeting) = RawClient::connect_from(product.address, other_address()).await;
    assert!(greeting.starts_with("* OK [CAPABILITY "), "{greeting}");
    assert_eq!(
        elsewhere
            .command("e LOGIN bob bob")
            .await
            .lines()
            .last()
            .map(|l| &l[..4]),
        Some("e OK")
    );
    assert_eq!(alice.command("a NOOP").await, "a OK NOOP completed\r\n");
}

#[tokio::test]
async fn connections_per_user() {
    let product = Product::start(&["imap.sidecar.limits.connectionsPerUser=2"]).await;
    let mut first = product.user("alice").await;
    let _second = product.user("alice").await;
    let (mut third, _) = RawClient::connect(product.address).await;
    assert_eq!(
        third.command("a LOGIN alice alice").await,
        "a NO [LIMIT] Too many connections for this user; close one and try again\r\n"
    );
    // The user name is compared without regard to case.
    assert_eq!(
        third.command("b LOGIN ALICE alice").await,
        "b NO [LIMIT] Too many connections for this user; close one and try again\r\n"
    );
    // Other users are not affected; the refused connection stays usable.
    let mut bob = product.user("bob").await;
    assert_eq!(bob.command("c NOOP").await, "c OK NOOP completed\r\n");
    assert_eq!(
        first.command("d LOGOUT").await.lines().last(),
        Some("d OK LOGOUT completed")
    );
    assert!(first.closed().await);
    // Her place is freed when the server has closed that connection.
    let mut logged_in = String::new();
    for attempt in 0..200 {
        logged_in = third
            .command(&format!("l{attempt} LOGIN alice alice"))
            .await;
        if !logged_in.contains("NO [LIMIT]") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert!(
        logged_in
            .lines()
            .last()
            .unwrap()
            .contains(" OK [CAPABILITY "),
        "{logged_in}"
    );
    assert_eq!(third.command("e NOOP").await, "e OK NOOP completed\r\n");
}

#[tokio::test]
async fn command_line_length() {
    let product = Product::start(&["imap.sidecar.limits.commandLineLength=8192"]).await;
    let mut alice = product.user("alice").await;
    let long = format!("a SEARCH SUBJECT {}", "x".repeat(9000));
    assert_eq!(alice.command(&long).await, format!("a {LIMIT}"));
    let fits = format!("b SEARCH SUBJECT {}", "x".repeat(8000));
    assert_eq!(
        alice.command("s SELECT INBOX").await.lines().last(),
        Some("s OK [READ-WRITE] SELECT completed")
    );
    assert_eq!(
        alice.command(&fits).await,
        "* SEARCH\r\nb OK SEARCH completed\r\n"
    );
    still_serving(&product, &mut alice).await;
}

#[tokio::test]
async fn literal_size_is_appendlimit() {
    let product = Product::start(&[
        "imap.sidecar.limits.appendLimit=1000",
        "imap.sidecar.limits.appendBudget=1000000",
    ])
    .await;
    let mut alice = product.user("alice").await;
    let capabilities = alice.command("a CAPABILITY").await;
    assert!(
        capabilities.contains(" APPENDLIMIT=1000\r\n"),
        "{capabilities}"
    );
    assert_eq!(
        alice.command("b APPEND INBOX {1001}").await,
        "b NO [TOOBIG] Message too large\r\n"
    );
    // A non-synchronizing literal over the limit is read and thrown away, never executed.
    let mut bytes = b"c APPEND INBOX {1001+}\r\n".to_vec();
    bytes.extend(b"x LOGOUT\r\n".iter().cycle().take(1001));
    bytes.extend_from_slice(b"\r\n");
    alice.send(&bytes).await;
    assert_eq!(
        alice.read_line().await,
        "c NO [TOOBIG] Message too large\r\n"
    );
    let message = "Subject: fits\r\n\r\nbody\r\n";
    let answer = alice
        .command(&format!(
            "d APPEND INBOX {{{}+}}\r\n{message}",
            message.len()
        ))
        .await;
    assert!(answer.starts_with("d OK [APPENDUID "), "{answer}");
    // Literals of other commands are bounded by the command line length.
    assert_eq!(
        alice.command("e LOGIN {70000}").await,
        "e BAD [LIMIT] Literal too large\r\n"
    );
    still_serving(&product, &mut alice).await;
}

#[tokio::test]
async fn literals_per_command() {
    let product = Product::start(&["imap.sidecar.limits.literalsPerCommand=2"]).await;
    let (mut c, _) = RawClient::connect(product.address).await;
    c.send(b"a LOGIN {5+}\r\nalice {5+}\r\nalice\r\n").await;
    assert!(c.read_line().await.starts_with("a OK [CAPABILITY "));
    c.send(b"b ID (\"k\" {1+}\r\nv \"l\" {1+}\r\nw \"m\" {1+}\r\nx)\r\n")
        .await;
    assert_eq!(c.read_line().await, format!("b {LIMIT}"));
    still_serving(&product, &mut c).await;
}

fn nested(depth: usize) -> String {
    format!("{}ALL{}", "(".repeat(depth), ")".repeat(depth))
}

#[tokio::test]
async fn nesting_depth() {
    let product = Product::start(&["imap.sidecar.limits.nestingDepth=4"]).await;
    let mut alice = product.user("alice").await;
    alice.command("s EXAMINE INBOX").await;
    let deep_enough = alice.command(&format!("a SEARCH {}", nested(4))).await;
    assert!(
        deep_enough.ends_with("a OK SEARCH completed\r\n"),
        "{deep_enough}"
    );
    assert_eq!(
        alice.command(&format!("b SEARCH {}", nested(5))).await,
        format!("b {LIMIT}")
    );
    // Ten thousand levels: refused by one scan of the bytes.
    assert_eq!(
        alice.command(&format!("c SEARCH {}", nested(10_000))).await,
        format!("c {LIMIT}")
    );
    // Unbalanced, deep and never closed.
    assert_eq!(
        alice
            .command(&format!("d FETCH 1 {}", "(".repeat(10_000)))
            .await,
        format!("d {LIMIT}")
    );
    // Parentheses inside quoted strings and literals do not count.
    let quoted = alice
        .command(&format!("e SEARCH SUBJECT \"{}\"", "(".repeat(100)))
        .await;
    assert!(quoted.ends_with("e OK SEARCH completed\r\n"), "{quoted}");
    let literal = alice
        .command(&format!("f SEARCH SUBJECT {{100+}}\r\n{}", "(".repeat(100)))
        .await;
    assert!(literal.ends_with("f OK SEARCH completed\r\n"), "{literal}");
    still_serving(&product, &mut alice).await;
}

#[tokio::test]
async fn commands_per_second_slow_a_flood_down_without_refusing_it() {
    let product = Product::start(&["imap.sidecar.limits.commandsPerSecond=200"]).await;
    let mut alice = product.user("alice").await;
    let before = product.gauges().throttled.load(Ordering::Relaxed);
    let mut flood = String::new();
    for n in 0..300 {
        flood.push_str(&format!("n{n} NOOP\r\n"));
    }
    alice.send(flood.as_bytes()).await;
    for n in 0..300 {
        assert_eq!(
            alice.read_line().await,
            format!("n{n} OK NOOP completed\r\n")
        );
    }
    let throttled = product.gauges().throttled.load(Ordering::Relaxed) - before;
    // 300 commands against a bucket of 200: about 100 had to wait for a token.
    assert!(
        throttled >= 50,
        "only {throttled} commands were slowed down"
    );
    still_serving(&product, &mut alice).await;
}

#[tokio::test]
async fn idle_timeout() {
    let product = Product::start(&["imap.sidecar.timeouts.idleMs=100"]).await;
    let mut silent = product.user("alice").await;
    assert_eq!(
        silent.read_to_close().await,
        "* BYE Autologout; idle for too long\r\n"
    );
    // IDLE re-arms it once, then it ends the same way.
    let mut idling = product.user("bob").await;
    idling.send(b"i IDLE\r\n").await;
    assert_eq!(idling.read_line().await, "+ idling\r\n");
    assert_eq!(
        idling.read_to_close().await,
        "* BYE Autologout; idle for too long\r\n"
    );
    // A client that keeps talking is not logged out.
    let mut busy = product.user("alice").await;
    for n in 0..10 {
        assert_eq!(
            busy.command(&format!("b{n} NOOP")).await,
            format!("b{n} OK NOOP completed\r\n")
        );
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    }
}

#[tokio::test]
async fn authentication_timeout() {
    let product = Product::start(&["imap.sidecar.timeouts.authenticationMs=100"]).await;
    let (mut silent, _) = RawClient::connect(product.address).await;
    assert_eq!(
        silent.read_to_close().await,
        "* BYE Autologout; idle for too long\r\n"
    );
    // Logging in in time ends the authentication timeout.
    let mut alice = product.user("alice").await;
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    assert_eq!(alice.command("a NOOP").await, "a OK NOOP completed\r\n");
}
