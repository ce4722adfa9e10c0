//! Hostile clients against the product (the emulator behind it): a slowloris, a 2 GB literal
//! announced, unbalanced parentheses, ten thousand nested lists, invalid UTF-8 everywhere,
//! commands in the wrong state and pipelined commands that depend on each other. Each one gets
//! a refusal (or, for the pipeline, the right answers in order), the server keeps serving the
//! other connections, and the connection and task gauges return to their baseline.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::client::{GUARD, RawClient};
use common::product::{Product, eventually};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The answer to `line` is one tagged `BAD` or `NO` line (after any untagged lines).
fn refused(answer: &str, tag: &str) {
    let last = answer.lines().last().unwrap_or_default();
    assert!(
        last.starts_with(&format!("{tag} BAD ")) || last.starts_with(&format!("{tag} NO ")),
        "{tag} was not refused: {answer:?}"
    );
}

async fn still_serving(product: &Product, client: &mut RawClient) {
    assert_eq!(client.command("z NOOP").await, "z OK NOOP completed\r\n");
    let mut other = product.user("bob").await;
    assert_eq!(other.command("y NOOP").await, "y OK NOOP completed\r\n");
    assert_eq!(
        other.command("x LOGOUT").await.lines().last(),
        Some("x OK LOGOUT completed")
    );
}

async fn back_to_baseline(product: &Product, tasks: usize) {
    eventually(
        "the connection and task gauges are back to their baseline",
        || {
            product.gauges().connections.load(Ordering::Relaxed) == 0
                && product.app().server.tasks() == tasks
        },
    )
    .await;
}

#[tokio::test]
async fn slowloris_is_cut_off_by_the_authentication_timeout() {
    let product = Product::start(&["imap.sidecar.timeouts.authenticationMs=150"]).await;
    let tasks = product.app().server.tasks();
    let stream = TcpStream::connect(product.address).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    // One byte every 20 ms: the login line would take 400 ms, the timeout is 150 ms.
    let dribble = tokio::spawn(async move {
        for byte in b"a LOGIN alice alice\r\n" {
            if writer.write_all(&[*byte]).await.is_err() {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        true
    });
    let mut received = Vec::new();
    tokio::time::timeout(GUARD, reader.read_to_end(&mut received))
        .await
        .expect("the server closes the connection")
        .ok();
    let received = String::from_utf8_lossy(&received);
    assert!(received.starts_with("* OK "), "{received}");
    assert!(
        received.ends_with("* BYE Autologout; idle for too long\r\n"),
        "{received}"
    );
    assert!(!received.contains("a OK"), "{received}");
    let _ = dribble.await;
    let mut alice = product.user("alice").await;
    assert_eq!(alice.command("a NOOP").await, "a OK NOOP completed\r\n");
    assert_eq!(
        alice.command("b LOGOUT").await.lines().last(),
        Some("b OK LOGOUT completed")
    );
    back_to_baseline(&product, tasks).await;
}

#[tokio::test]
async fn a_two_gigabyte_literal_is_refused_before_it_is_sent() {
    let product = Product::start(&[]).await;
    let mut alice = product.user("alice").await;
    assert_eq!(
        alice.command("a APPEND INBOX {2147483648}").await,
        "a NO [TOOBIG] Message too large\r\n"
    );
    assert_eq!(
        alice.command("b LOGIN {2147483648}").await,
        "b BAD [LIMIT] Literal too large\r\n"
    );
    // A size no integer holds.
    let absurd = alice
        .command("c APPEND INBOX {99999999999999999999999}")
        .await;
    refused(&absurd, "c");
    still_serving(&product, &mut alice).await;
}

#[tokio::test]
async fn unbalanced_parentheses_and_ten_thousand_nested_lists_are_refused() {
    let product = Product::start(&[]).await;
    let mut alice = product.user("alice").await;
    alice.command("s EXAMINE INBOX").await;
    refused(&alice.command("a FETCH 1 (FLAGS UID").await, "a");
    refused(&alice.command("b FETCH 1 FLAGS)").await, "b");
    refused(&alice.command("c SEARCH (((ALL)").await, "c");
    refused(&alice.command("d SEARCH ALL)))").await, "d");
    let deep = format!("e SEARCH {}ALL{}", "(".repeat(10_000), ")".repeat(10_000));
    assert_eq!(
        alice.command(&deep).await,
        "e BAD [LIMIT] Command exceeds the server's limits\r\n"
    );
    let lists = format!("f ID {}NIL{}", "(".repeat(10_000), ")".repeat(10_000));
    assert_eq!(
        alice.command(&lists).await,
        "f BAD [LIMIT] Command exceeds the server's limits\r\n"
    );
    still_serving(&product, &mut alice).await;
}

#[tokio::test]
async fn invalid_utf8_everywhere_is_refused() {
    let product = Product::start(&[]).await;
    let tasks = product.app().server.tasks();
    // Before login: in the tag, the command, the user name and the password.
    let (mut anonymous, _) = RawClient::connect(product.address).await;
    for (tag, line) in [
        ("a", &b"a LOGIN \xff\xfe \"x\"\r\n"[..]),
        ("b", &b"b LOGIN \"al\xc3\x28ce\" \"\xc0\xaf\"\r\n"[..]),
        ("c", &b"c LOG\xffIN alice alice\r\n"[..]),
    ] {
        anonymous.send(line).await;
        let answer = anonymous.read_line().await;
        assert!(
            answer.starts_with(&format!("{tag} BAD ")) || answer.starts_with(&format!("{tag} NO ")),
            "{tag}: {answer:?}"
        );
    }
    anonymous.send(b"\xff\xfe NOOP\r\n").await;
    let answer = anonymous.read_line().await;
    assert!(
        answer.starts_with("* BAD ") || answer.starts_with("* BYE "),
        "{answer:?}"
    );
    drop(anonymous);

    // Logged in: mailbox names, search strings, flags, fetch items.
    let mut alice = product.user("alice").await;
    let lines: [(&str, &[u8]); 6] = [
        ("d", b"d SELECT \"IN\xffBOX\"\r\n"),
        ("e", b"e CREATE \"\xed\xa0\x80\"\r\n"),
        ("f", b"f STATUS \"\xc3\" (MESSAGES)\r\n"),
        ("g", b"g LIST \"\" \"\xf8\x88\x80\x80\x80\"\r\n"),
        ("h", b"h SUBSCRIBE \"a\xc0\x80b\"\r\n"),
        ("i", b"i RENAME INBOX \"\xff\"\r\n"),
    ];
    for (tag, line) in lines {
        alice.send(line).await;
        refused(&alice.read_tagged(tag).await, tag);
    }
    alice.command("s SELECT INBOX").await;
    let selected: [(&str, &[u8]); 3] = [
        ("j", b"j SEARCH CHARSET UTF-8 SUBJECT \"\xff\xfe\"\r\n"),
        ("k", b"k STORE 1 +FLAGS (\\Se\xffen)\r\n"),
        ("l", b"l FETCH 1 (BODY[HEADER.FIELDS (SUB\xffJECT)])\r\n"),
    ];
    for (tag, line) in selected {
        alice.send(line).await;
        let answer = alice.read_tagged(tag).await;
        let last = answer.lines().last().unwrap_or_default().to_owned();
        // A search string is bytes to IMAP: matching nothing is a correct answer too.
        assert!(
            last.starts_with(&format!("{tag} BAD "))
                || last.starts_with(&format!("{tag} NO "))
                || (tag == "j" && answer == "* SEARCH\r\nj OK SEARCH completed\r\n"),
            "{tag}: {answer:?}"
        );
    }
    still_serving(&product, &mut alice).await;
    assert_eq!(
        alice.command("m LOGOUT").await.lines().last(),
        Some("m OK LOGOUT completed")
    );
    back_to_baseline(&product, tasks).await;
}

#[tokio::test]
async fn commands_in_the_wrong_state_are_refused() {
    let product = Product::start(&[]).await;
    let (mut anonymous, _) = RawClient::connect(product.address).await;
    for (tag, command) in [
        ("a", "SELECT INBOX"),
        ("b", "FETCH 1 FLAGS"),
        ("c", "IDLE"),
        ("d", "APPEND INBOX {3+}\r\nabc"),
        ("e", "CLOSE"),
        ("f", "LIST \"\" *"),
    ] {
        let answer = anonymous.command(&format!("{tag} {command}")).await;
        refused(&answer, tag);
        assert!(!answer.contains("* "), "{tag}: {answer:?}");
    }
    let mut alice = product.user("alice").await;
    for (tag, command) in [
        ("g", "FETCH 1 FLAGS"),
        ("h", "STORE 1 +FLAGS (\\Seen)"),
        ("i", "EXPUNGE"),
        ("j", "CLOSE"),
        ("k", "LOGIN alice alice"),
        ("l", "AUTHENTICATE PLAIN"),
        ("m", "STARTTLS"),
    ] {
        refused(&alice.command(&format!("{tag} {command}")).await, tag);
    }
    still_serving(&product, &mut alice).await;
}

#[tokio::test]
async fn pipelined_commands_that_depend_on_each_other_answer_in_order() {
    let product = Product::start(&[]).await;
    let mut alice = product.user("alice").await;
    let message = "Subject: pipelined\r\nMessage-ID: <pipelined@test>\r\n\r\nbody\r\n";
    let pipeline = format!(
        "a CREATE Piped\r\n\
         b APPEND Piped (\\Flagged) {{{}+}}\r\n{message}\r\n\
         c SELECT Piped\r\n\
         d UID SEARCH FLAGGED\r\n\
         e FETCH 1 (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])\r\n\
         f STORE 1 +FLAGS.SILENT (\\Deleted)\r\n\
         g EXPUNGE\r\n\
         h STATUS Piped (MESSAGES)\r\n",
        message.len()
    );
    alice.send(pipeline.as_bytes()).await;
    let created = alice.read_tagged("a").await;
    assert_eq!(created, "a OK CREATE completed\r\n");
    let appended = alice.read_tagged("b").await;
    assert!(appended.starts_with("b OK [APPENDUID "), "{appended}");
    let uid = appended
        .split_whitespace()
        .nth(4)
        .and_then(|uid| uid.trim_end_matches(']').parse::<u32>().ok())
        .expect("APPENDUID names the UID");
    let selected = alice.read_tagged("c").await;
    assert!(selected.contains("* 1 EXISTS\r\n"), "{selected}");
    assert!(
        selected.ends_with("c OK [READ-WRITE] SELECT completed\r\n"),
        "{selected}"
    );
    assert_eq!(
        alice.read_tagged("d").await,
        format!("* SEARCH {uid}\r\nd OK SEARCH completed\r\n")
    );
    let fetched = alice.read_tagged("e").await;
    assert!(fetched.contains("\\Flagged"), "{fetched}");
    assert!(fetched.contains("Subject: pipelined"), "{fetched}");
    assert!(fetched.ends_with("e OK FETCH completed\r\n"), "{fetched}");
    assert_eq!(alice.read_tagged("f").await, "f OK STORE completed\r\n");
    assert_eq!(
        alice.read_tagged("g").await,
        "* 1 EXPUNGE\r\ng OK EXPUNGE completed\r\n"
    );
    assert_eq!(
        alice.read_tagged("h").await,
        "* STATUS Piped (MESSAGES 0)\r\nh OK STATUS completed\r\n"
    );
    still_serving(&product, &mut alice).await;
}
