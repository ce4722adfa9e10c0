//! Golden tests on raw bytes for messages: APPEND (literals, limits, spooling), STORE,
//! COPY, MOVE, EXPUNGE, UID EXPUNGE, SEARCH, and FETCH of `UID FLAGS INTERNALDATE RFC822.SIZE
//! BODY[] BODY.PEEK[] RFC822`.

mod common;

use common::client::RawClient;
use common::golden::{VALIDITY, message};
use common::server::{Options, TestServer};

const NOW: &str = "28-Nov-2026 12:00:00 +0000";

/// A server with `count` messages in alice's INBOX (`Subject: m1` ...), and alice's client
/// with INBOX selected (every message `\Recent`).
async fn inbox_with(count: usize) -> (TestServer, RawClient) {
    let server = TestServer::start().await;
    for i in 1..=count {
        server.deliver("INBOX", &message(&format!("m{i}")));
    }
    let mut c = server.alice().await;
    c.command("s SELECT INBOX").await;
    (server, c)
}

/// `APPEND` with a non-synchronizing literal.
fn append(tag: &str, mailbox: &str, args: &str, body: &str) -> String {
    format!("{tag} APPEND {mailbox} {args}{{{}+}}\r\n{body}", body.len())
}

// ---------------------------------------------------------------------------------------
// APPEND

#[tokio::test]
async fn append_with_a_synchronizing_literal() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    let body = message("hello");
    c.send(format!("a APPEND INBOX {{{}}}\r\n", body.len()).as_bytes())
        .await;
    assert_eq!(c.read_line().await, "+ Ready for literal data\r\n");
    c.send(format!("{body}\r\n").as_bytes()).await;
    assert_eq!(
        c.read_tagged("a").await,
        format!("a OK [APPENDUID {VALIDITY} 1] APPEND completed\r\n")
    );
}

#[tokio::test]
async fn append_with_a_non_synchronizing_literal() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    assert_eq!(
        c.command(&append("a", "INBOX", "", &message("hello")))
            .await,
        format!("a OK [APPENDUID {VALIDITY} 1] APPEND completed\r\n")
    );
    assert_eq!(
        c.command(&append("b", "INBOX", "", &message("again")))
            .await,
        format!("b OK [APPENDUID {VALIDITY} 2] APPEND completed\r\n")
    );
}

#[tokio::test]
async fn append_with_flags_and_date() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    let body = message("dated");
    let args = "(\\Seen \\Flagged Work) \"01-Jan-2026 10:00:00 +0100\" ";
    assert_eq!(
        c.command(&append("a", "INBOX", args, &body)).await,
        format!("a OK [APPENDUID {VALIDITY} 1] APPEND completed\r\n")
    );
    c.command("b SELECT INBOX").await;
    assert_eq!(
        c.command("c FETCH 1 (FLAGS INTERNALDATE RFC822.SIZE)")
            .await,
        format!(
            "* 1 FETCH (FLAGS (\\Flagged \\Seen Work \\Recent) \
             INTERNALDATE \"01-Jan-2026 09:00:00 +0000\" RFC822.SIZE {})\r\n\
             c OK FETCH completed\r\n",
            body.len()
        )
    );
}

#[tokio::test]
async fn append_without_a_date_takes_the_arrival_time() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    c.command(&append("a", "INBOX", "", &message("now"))).await;
    c.command("b SELECT INBOX").await;
    assert_eq!(
        c.command("c FETCH 1 (INTERNALDATE)").await,
        format!("* 1 FETCH (INTERNALDATE \"{NOW}\")\r\nc OK FETCH completed\r\n")
    );
}

#[tokio::test]
async fn append_with_recent_in_the_flags_is_bad() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    assert_eq!(
        c.command(&append("a", "INBOX", "(\\Recent) ", &message("x")))
            .await,
        "a BAD \\Recent cannot be set by a client\r\n"
    );
    assert_eq!(
        c.command(&append("b", "INBOX", "(\\Frobbed) ", &message("x")))
            .await,
        "b BAD unknown system flag \\Frobbed\r\n"
    );
    assert_eq!(
        c.command("c STATUS INBOX (MESSAGES)").await,
        "* STATUS INBOX (MESSAGES 0)\r\nc OK STATUS completed\r\n"
    );
}

#[tokio::test]
async fn append_to_a_missing_mailbox_says_trycreate() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    assert_eq!(
        c.command(&append("a", "Nowhere", "", &message("x"))).await,
        "a NO [TRYCREATE] No such mailbox\r\n"
    );
}

#[tokio::test]
async fn append_to_a_noselect_mailbox() {
    let server = TestServer::start().await;
    server.repository.set_selectable("Shared", false);
    let mut c = server.alice().await;
    assert_eq!(
        c.command(&append("a", "Shared", "", &message("x"))).await,
        "a NO [CANNOT] Messages cannot be stored in this mailbox\r\n"
    );
}

#[tokio::test]
async fn append_without_the_right_to_insert() {
    let server = TestServer::start().await;
    let mut bob = server.bob().await;
    assert_eq!(
        bob.command(&append("a", "Shared/Projects", "", &message("x")))
            .await,
        "a NO [NOPERM] You may not store messages in this mailbox\r\n"
    );
}

#[tokio::test]
async fn append_an_empty_message() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    assert_eq!(
        c.command("a APPEND INBOX {0+}\r\n").await,
        "a NO [CANNOT] An empty message cannot be stored\r\n"
    );
}

#[tokio::test]
async fn append_to_the_selected_mailbox_reports_the_new_message() {
    let (_server, mut c) = inbox_with(1).await;
    assert_eq!(
        c.command(&append("a", "INBOX", "", &message("mine"))).await,
        format!("* 2 EXISTS\r\n* 2 RECENT\r\na OK [APPENDUID {VALIDITY} 2] APPEND completed\r\n")
    );
}

fn limited(append_limit: u64) -> Options {
    let mut options = Options::default();
    options.session.append_limit = append_limit;
    options.connection.literals.append_limit = append_limit;
    options
}

#[tokio::test]
async fn append_too_large_is_refused_before_the_literal() {
    let server = TestServer::with(limited(100)).await;
    let mut c = server.alice().await;
    let caps = c.command("a CAPABILITY").await;
    assert!(caps.contains(" APPENDLIMIT=100\r\n"), "{caps}");
    assert_eq!(
        c.command("b APPEND INBOX {101}").await,
        "b NO [TOOBIG] Message too large\r\n"
    );
    assert_eq!(c.command("c NOOP").await, "c OK NOOP completed\r\n");
    let body = "x".repeat(101);
    c.send(format!("d APPEND INBOX {{101+}}\r\n{body}\r\n").as_bytes())
        .await;
    assert_eq!(c.read_line().await, "d NO [TOOBIG] Message too large\r\n");
    assert_eq!(c.command("e NOOP").await, "e OK NOOP completed\r\n");
    assert_eq!(
        c.command(&append("f", "INBOX", "", &"y".repeat(100))).await,
        format!("f OK [APPENDUID {VALIDITY} 1] APPEND completed\r\n")
    );
}

fn spooling(threshold: u64, budget: u64) -> (Options, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut options = Options::default();
    options.connection.literals.spool_threshold = threshold;
    options.connection.spool_dir = dir.path().to_path_buf();
    options.append_budget = budget;
    (options, dir)
}

/// A message of exactly `size` bytes.
fn sized(size: usize) -> String {
    let head = "Subject: big\r\n\r\n";
    format!("{head}{}", "z".repeat(size - head.len()))
}

#[tokio::test]
async fn large_append_is_spooled_to_disk() {
    let (options, spool) = spooling(64, 1 << 20);
    let server = TestServer::with(options).await;
    let mut c = server.alice().await;
    let body = sized(5000);
    c.send(b"a APPEND INBOX (\\Seen) {5000}\r\n").await;
    assert_eq!(c.read_line().await, "+ Ready for literal data\r\n");
    c.send(body.as_bytes()).await;
    c.send(b"\r\n").await;
    assert_eq!(
        c.read_tagged("a").await,
        format!("a OK [APPENDUID {VALIDITY} 1] APPEND completed\r\n")
    );
    assert_eq!(server.budget.in_use(), 0);
    assert_eq!(std::fs::read_dir(spool.path()).unwrap().count(), 0);
    c.command("b SELECT INBOX").await;
    assert_eq!(
        c.command("c FETCH 1 (BODY.PEEK[])").await,
        format!("* 1 FETCH (BODY[] {{5000}}\r\n{body})\r\nc OK FETCH completed\r\n")
    );
}

#[tokio::test]
async fn large_non_synchronizing_append_is_spooled_too() {
    let (options, _spool) = spooling(64, 1 << 20);
    let server = TestServer::with(options).await;
    let mut c = server.alice().await;
    assert_eq!(
        c.command(&append("a", "INBOX", "", &sized(3000))).await,
        format!("a OK [APPENDUID {VALIDITY} 1] APPEND completed\r\n")
    );
    assert_eq!(
        c.command("b STATUS INBOX (MESSAGES)").await,
        "* STATUS INBOX (MESSAGES 1)\r\nb OK STATUS completed\r\n"
    );
}

#[tokio::test]
async fn append_over_the_global_budget_is_refused_with_limit() {
    let (options, _spool) = spooling(64, 1000);
    let server = TestServer::with(options).await;
    let mut c = server.alice().await;
    assert_eq!(
        c.command("a APPEND INBOX {5000}").await,
        "a NO [LIMIT] Too many large messages arriving, try again later\r\n"
    );
    let body = sized(5000);
    c.send(format!("b APPEND INBOX {{5000+}}\r\n{body}\r\n").as_bytes())
        .await;
    assert_eq!(
        c.read_line().await,
        "b NO [LIMIT] Too many large messages arriving, try again later\r\n"
    );
    // Small messages stay in memory and do not need the budget.
    assert_eq!(
        c.command(&append("c", "INBOX", "", &message("small")))
            .await,
        format!("c OK [APPENDUID {VALIDITY} 1] APPEND completed\r\n")
    );
    assert_eq!(server.budget.in_use(), 0);
}

#[tokio::test]
async fn append_larger_than_a_command_but_below_the_spool_threshold() {
    // Defaults: commands hold up to 128 KiB in memory, APPENDs spool from 1 MiB.
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    let body = sized(300 * 1024);
    c.send(b"a APPEND INBOX {307200}\r\n").await;
    assert_eq!(c.read_line().await, "+ Ready for literal data\r\n");
    c.send(body.as_bytes()).await;
    c.send(b"\r\n").await;
    assert_eq!(
        c.read_tagged("a").await,
        format!("a OK [APPENDUID {VALIDITY} 1] APPEND completed\r\n")
    );
}

// ---------------------------------------------------------------------------------------
// FETCH

#[tokio::test]
async fn fetch_uid_flags_internaldate_and_size() {
    let (_server, mut c) = inbox_with(2).await;
    let size = message("m1").len();
    assert_eq!(
        c.command("a FETCH 1:2 (UID FLAGS INTERNALDATE RFC822.SIZE)")
            .await,
        format!(
            "* 1 FETCH (UID 1 FLAGS (\\Recent) INTERNALDATE \"{NOW}\" RFC822.SIZE {size})\r\n\
             * 2 FETCH (UID 2 FLAGS (\\Recent) INTERNALDATE \"{NOW}\" RFC822.SIZE {size})\r\n\
             a OK FETCH completed\r\n"
        )
    );
}

#[tokio::test]
async fn fetch_fast_macro() {
    let (_server, mut c) = inbox_with(1).await;
    let size = message("m1").len();
    assert_eq!(
        c.command("a FETCH 1 FAST").await,
        format!(
            "* 1 FETCH (FLAGS (\\Recent) INTERNALDATE \"{NOW}\" RFC822.SIZE {size})\r\n\
             a OK FETCH completed\r\n"
        )
    );
}

#[tokio::test]
async fn uid_fetch_always_includes_the_uid() {
    let (_server, mut c) = inbox_with(3).await;
    assert_eq!(
        c.command("a UID FETCH 2:* (FLAGS)").await,
        "* 2 FETCH (UID 2 FLAGS (\\Recent))\r\n\
         * 3 FETCH (UID 3 FLAGS (\\Recent))\r\n\
         a OK FETCH completed\r\n"
    );
    assert_eq!(
        c.command("b UID FETCH 7 (FLAGS)").await,
        "b OK FETCH completed\r\n"
    );
}

#[tokio::test]
async fn fetch_body_peek_leaves_seen_alone() {
    let (_server, mut c) = inbox_with(1).await;
    let body = message("m1");
    assert_eq!(
        c.command("a FETCH 1 (BODY.PEEK[])").await,
        format!(
            "* 1 FETCH (BODY[] {{{}}}\r\n{body})\r\na OK FETCH completed\r\n",
            body.len()
        )
    );
    assert_eq!(
        c.command("b FETCH 1 (FLAGS)").await,
        "* 1 FETCH (FLAGS (\\Recent))\r\nb OK FETCH completed\r\n"
    );
}

#[tokio::test]
async fn fetch_body_sets_seen_and_reports_it() {
    let (_server, mut c) = inbox_with(1).await;
    let body = message("m1");
    assert_eq!(
        c.command("a FETCH 1 (BODY[])").await,
        format!(
            "* 1 FETCH (BODY[] {{{}}}\r\n{body} FLAGS (\\Seen \\Recent))\r\na OK FETCH completed\r\n",
            body.len()
        )
    );
    assert_eq!(
        c.command("b FETCH 1 (FLAGS BODY[])").await,
        format!(
            "* 1 FETCH (FLAGS (\\Seen \\Recent) BODY[] {{{}}}\r\n{body})\r\nb OK FETCH completed\r\n",
            body.len()
        )
    );
}

#[tokio::test]
async fn fetch_rfc822_sets_seen() {
    let (_server, mut c) = inbox_with(1).await;
    let body = message("m1");
    assert_eq!(
        c.command("a UID FETCH 1 (RFC822)").await,
        format!(
            "* 1 FETCH (UID 1 RFC822 {{{}}}\r\n{body} FLAGS (\\Seen \\Recent))\r\na OK FETCH completed\r\n",
            body.len()
        )
    );
}

#[tokio::test]
async fn fetch_body_in_a_read_only_mailbox_does_not_set_seen() {
    let server = TestServer::start().await;
    server.deliver("INBOX", &message("m1"));
    let mut c = server.alice().await;
    c.command("s EXAMINE INBOX").await;
    let body = message("m1");
    assert_eq!(
        c.command("a FETCH 1 (BODY[])").await,
        format!(
            "* 1 FETCH (BODY[] {{{}}}\r\n{body})\r\na OK FETCH completed\r\n",
            body.len()
        )
    );
    assert_eq!(
        c.command("b FETCH 1 (FLAGS)").await,
        "* 1 FETCH (FLAGS (\\Recent))\r\nb OK FETCH completed\r\n"
    );
}

#[tokio::test]
async fn fetch_beyond_the_last_message_is_bad() {
    let (_server, mut c) = inbox_with(2).await;
    assert_eq!(
        c.command("a FETCH 3 (FLAGS)").await,
        "a BAD Invalid message sequence number\r\n"
    );
    assert_eq!(
        c.command("b FETCH 1:5 (FLAGS)").await,
        "b BAD Invalid message sequence number\r\n"
    );
}

#[tokio::test]
async fn fetch_star_in_an_empty_mailbox() {
    let (_server, mut c) = inbox_with(0).await;
    assert_eq!(
        c.command("a UID FETCH 1:* (FLAGS)").await,
        "a OK FETCH completed\r\n"
    );
}

// ---------------------------------------------------------------------------------------
// STORE

#[tokio::test]
async fn store_replaces_adds_and_removes_flags() {
    let (_server, mut c) = inbox_with(2).await;
    assert_eq!(
        c.command("a STORE 1 FLAGS (\\Flagged \\Answered)").await,
        "* 1 FETCH (FLAGS (\\Answered \\Flagged \\Recent))\r\na OK STORE completed\r\n"
    );
    assert_eq!(
        c.command("b STORE 1:2 +FLAGS (\\Seen)").await,
        "* 1 FETCH (FLAGS (\\Answered \\Flagged \\Seen \\Recent))\r\n\
         * 2 FETCH (FLAGS (\\Seen \\Recent))\r\n\
         b OK STORE completed\r\n"
    );
    assert_eq!(
        c.command("c STORE 1 -FLAGS (\\Answered \\Seen)").await,
        "* 1 FETCH (FLAGS (\\Flagged \\Recent))\r\nc OK STORE completed\r\n"
    );
    assert_eq!(
        c.command("d STORE 2 FLAGS ()").await,
        "* 2 FETCH (FLAGS (\\Recent))\r\nd OK STORE completed\r\n"
    );
}

#[tokio::test]
async fn store_silent_answers_only_the_tag() {
    let (_server, mut c) = inbox_with(2).await;
    assert_eq!(
        c.command("a STORE 1:* +FLAGS.SILENT (\\Draft)").await,
        "a OK STORE completed\r\n"
    );
    assert_eq!(
        c.command("b STORE 2 FLAGS.SILENT (\\Deleted)").await,
        "b OK STORE completed\r\n"
    );
    assert_eq!(
        c.command("c STORE 1 -FLAGS.SILENT (\\Draft)").await,
        "c OK STORE completed\r\n"
    );
    assert_eq!(
        c.command("d FETCH 1:2 (FLAGS)").await,
        "* 1 FETCH (FLAGS (\\Recent))\r\n\
         * 2 FETCH (FLAGS (\\Deleted \\Recent))\r\n\
         d OK FETCH completed\r\n"
    );
}

#[tokio::test]
async fn store_keywords() {
    let (_server, mut c) = inbox_with(1).await;
    assert_eq!(
        c.command("a STORE 1 +FLAGS (Work $Forwarded)").await,
        "* 1 FETCH (FLAGS ($Forwarded Work \\Recent))\r\na OK STORE completed\r\n"
    );
    assert_eq!(
        c.command("b STORE 1 -FLAGS (work)").await,
        "* 1 FETCH (FLAGS ($Forwarded \\Recent))\r\nb OK STORE completed\r\n"
    );
}

#[tokio::test]
async fn uid_store_includes_the_uid() {
    let (_server, mut c) = inbox_with(3).await;
    assert_eq!(
        c.command("a UID STORE 2,3 +FLAGS (\\Flagged)").await,
        "* 2 FETCH (FLAGS (\\Flagged \\Recent) UID 2)\r\n\
         * 3 FETCH (FLAGS (\\Flagged \\Recent) UID 3)\r\n\
         a OK STORE completed\r\n"
    );
    assert_eq!(
        c.command("b UID STORE 9 +FLAGS (\\Flagged)").await,
        "b OK STORE completed\r\n"
    );
}

#[tokio::test]
async fn store_recent_is_bad() {
    let (_server, mut c) = inbox_with(1).await;
    assert_eq!(
        c.command("a STORE 1 +FLAGS (\\Recent)").await,
        "a BAD \\Recent cannot be set by a client\r\n"
    );
}

#[tokio::test]
async fn store_beyond_the_last_message_is_bad() {
    let (_server, mut c) = inbox_with(1).await;
    assert_eq!(
        c.command("a STORE 2 +FLAGS (\\Seen)").await,
        "a BAD Invalid message sequence number\r\n"
    );
}

/// A server with one message in `Shared/Projects`, and bob's client with it selected.
async fn shared_with_bob() -> (TestServer, RawClient) {
    let server = TestServer::start().await;
    server
        .repository
        .deliver(None, "Shared/Projects", message("plan").as_bytes());
    let mut bob = server.bob().await;
    bob.command("s SELECT Shared/Projects").await;
    (server, bob)
}

#[tokio::test]
async fn store_without_the_rights_is_noperm() {
    let (_server, mut bob) = shared_with_bob().await;
    assert_eq!(
        bob.command("a STORE 1 +FLAGS (\\Deleted)").await,
        "a NO [NOPERM] You may not change \\Deleted on message 1\r\n"
    );
    assert_eq!(
        bob.command("b STORE 1 +FLAGS (\\Flagged)").await,
        "b NO [NOPERM] You may not change \\Flagged on message 1\r\n"
    );
    assert_eq!(
        bob.command("c STORE 1 +FLAGS (Work)").await,
        "c NO [NOPERM] You may not change keywords on message 1\r\n"
    );
    assert_eq!(
        bob.command("d STORE 1 +FLAGS (\\Seen $Junk)").await,
        "* 1 FETCH (FLAGS (\\Seen $Junk \\Recent))\r\nd OK STORE completed\r\n"
    );
}

#[tokio::test]
async fn seen_is_private_and_other_flags_are_shared() {
    let (server, mut bob) = shared_with_bob().await;
    let mut alice = server.alice().await;
    alice.command("s SELECT Shared/Projects").await;
    alice
        .command("a STORE 1 +FLAGS.SILENT (\\Seen \\Flagged)")
        .await;
    assert_eq!(
        alice.command("b FETCH 1 (FLAGS)").await,
        "* 1 FETCH (FLAGS (\\Flagged \\Seen))\r\nb OK FETCH completed\r\n"
    );
    assert_eq!(
        bob.command("c NOOP").await,
        "* 1 FETCH (FLAGS (\\Flagged \\Recent))\r\nc OK NOOP completed\r\n"
    );
    assert_eq!(
        bob.command("d FETCH 1 (FLAGS)").await,
        "* 1 FETCH (FLAGS (\\Flagged \\Recent))\r\nd OK FETCH completed\r\n"
    );
}

// ---------------------------------------------------------------------------------------
// COPY and MOVE

#[tokio::test]
async fn copy_answers_with_copyuid() {
    let (_server, mut c) = inbox_with(3).await;
    assert_eq!(
        c.command("a COPY 1:2 Trash").await,
        format!("a OK [COPYUID {VALIDITY} 1:2 1:2] COPY completed\r\n")
    );
    assert_eq!(
        c.command("b UID COPY 3 Trash").await,
        format!("b OK [COPYUID {VALIDITY} 3 3] COPY completed\r\n")
    );
    assert_eq!(
        c.command("c STATUS Trash (MESSAGES UIDNEXT)").await,
        "* STATUS Trash (MESSAGES 3 UIDNEXT 4)\r\nc OK STATUS completed\r\n"
    );
    assert_eq!(
        c.command("d NOOP").await,
        "d OK NOOP completed\r\n",
        "the source keeps its messages"
    );
}

#[tokio::test]
async fn copy_keeps_the_flags() {
    let (_server, mut c) = inbox_with(1).await;
    c.command("a STORE 1 +FLAGS.SILENT (\\Seen \\Answered Work)")
        .await;
    c.command("b COPY 1 Trash").await;
    c.command("c SELECT Trash").await;
    assert_eq!(
        c.command("d FETCH 1 (FLAGS)").await,
        "* 1 FETCH (FLAGS (\\Answered \\Seen Work \\Recent))\r\nd OK FETCH completed\r\n"
    );
}

#[tokio::test]
async fn copy_into_the_selected_mailbox_reports_the_copy() {
    let (_server, mut c) = inbox_with(1).await;
    assert_eq!(
        c.command("a COPY 1 INBOX").await,
        format!("* 2 EXISTS\r\n* 2 RECENT\r\na OK [COPYUID {VALIDITY} 1 2] COPY completed\r\n")
    );
}

#[tokio::test]
async fn copy_to_a_missing_mailbox_says_trycreate() {
    let (_server, mut c) = inbox_with(1).await;
    assert_eq!(
        c.command("a COPY 1 Nowhere").await,
        "a NO [TRYCREATE] No such mailbox\r\n"
    );
    assert_eq!(
        c.command("b MOVE 1 Nowhere").await,
        "b NO [TRYCREATE] No such mailbox\r\n"
    );
}

#[tokio::test]
async fn copy_beyond_the_last_message_is_bad() {
    let (_server, mut c) = inbox_with(1).await;
    assert_eq!(
        c.command("a COPY 2 Trash").await,
        "a BAD Invalid message sequence number\r\n"
    );
}

#[tokio::test]
async fn copy_into_a_folder_without_the_right_to_insert() {
    let server = TestServer::start().await;
    server
        .repository
        .deliver(Some("bob"), "INBOX", message("mine").as_bytes());
    let mut bob = server.bob().await;
    bob.command("s SELECT INBOX").await;
    assert_eq!(
        bob.command("a COPY 1 Shared/Projects").await,
        "a NO [NOPERM] You may not store messages in that mailbox\r\n"
    );
}

#[tokio::test]
async fn move_answers_with_copyuid_then_expunge() {
    let (_server, mut c) = inbox_with(3).await;
    assert_eq!(
        c.command("a MOVE 2:3 Trash").await,
        format!(
            "* OK [COPYUID {VALIDITY} 2:3 1:2] Moved\r\n\
             * 3 EXPUNGE\r\n\
             * 2 EXPUNGE\r\n\
             a OK MOVE completed\r\n"
        )
    );
    assert_eq!(
        c.command("b UID MOVE 1 Trash").await,
        format!(
            "* OK [COPYUID {VALIDITY} 1 3] Moved\r\n\
             * 1 EXPUNGE\r\n\
             b OK MOVE completed\r\n"
        )
    );
    assert_eq!(
        c.command("c STATUS Trash (MESSAGES)").await,
        "* STATUS Trash (MESSAGES 3)\r\nc OK STATUS completed\r\n"
    );
}

#[tokio::test]
async fn move_renumbers_the_remaining_messages() {
    let (_server, mut c) = inbox_with(3).await;
    c.command("a MOVE 1 Trash").await;
    assert_eq!(
        c.command("b FETCH 1:* (UID)").await,
        "* 1 FETCH (UID 2)\r\n* 2 FETCH (UID 3)\r\nb OK FETCH completed\r\n"
    );
}

#[tokio::test]
async fn move_without_the_right_to_delete() {
    let (_server, mut bob) = shared_with_bob().await;
    assert_eq!(
        bob.command("a MOVE 1 INBOX").await,
        "a NO [NOPERM] You may not remove these messages from this mailbox\r\n"
    );
    assert_eq!(
        bob.command("b COPY 1 INBOX").await,
        format!("b OK [COPYUID {VALIDITY} 1 1] COPY completed\r\n")
    );
}

#[tokio::test]
async fn move_in_a_read_only_mailbox() {
    let server = TestServer::start().await;
    server.deliver("INBOX", &message("m1"));
    let mut c = server.alice().await;
    c.command("s EXAMINE INBOX").await;
    assert_eq!(
        c.command("a MOVE 1 Trash").await,
        "a NO [CANNOT] The mailbox is open read-only (EXAMINE)\r\n"
    );
}

#[tokio::test]
async fn uid_copy_and_move_of_missing_uids_do_nothing() {
    let (_server, mut c) = inbox_with(1).await;
    assert_eq!(
        c.command("a UID COPY 5:9 Trash").await,
        "a OK COPY completed (no messages)\r\n"
    );
    assert_eq!(
        c.command("b UID MOVE 5:9 Trash").await,
        "b OK MOVE completed (no messages)\r\n"
    );
}

// ---------------------------------------------------------------------------------------
// EXPUNGE

#[tokio::test]
async fn expunge_reports_each_message_and_renumbers() {
    let (_server, mut c) = inbox_with(4).await;
    c.command("a STORE 1,3 +FLAGS.SILENT (\\Deleted)").await;
    assert_eq!(
        c.command("b EXPUNGE").await,
        "* 3 EXPUNGE\r\n* 1 EXPUNGE\r\nb OK EXPUNGE completed\r\n"
    );
    assert_eq!(
        c.command("c FETCH 1:* (UID)").await,
        "* 1 FETCH (UID 2)\r\n* 2 FETCH (UID 4)\r\nc OK FETCH completed\r\n"
    );
}

#[tokio::test]
async fn expunge_with_nothing_deleted() {
    let (_server, mut c) = inbox_with(2).await;
    assert_eq!(c.command("a EXPUNGE").await, "a OK EXPUNGE completed\r\n");
}

#[tokio::test]
async fn uid_expunge_removes_only_the_given_uids() {
    let (_server, mut c) = inbox_with(3).await;
    c.command("a STORE 1:3 +FLAGS.SILENT (\\Deleted)").await;
    assert_eq!(
        c.command("b UID EXPUNGE 2:3").await,
        "* 3 EXPUNGE\r\n* 2 EXPUNGE\r\nb OK EXPUNGE completed\r\n"
    );
    assert_eq!(
        c.command("c FETCH 1:* (UID FLAGS)").await,
        "* 1 FETCH (UID 1 FLAGS (\\Deleted \\Recent))\r\nc OK FETCH completed\r\n"
    );
}

#[tokio::test]
async fn expunge_leaves_what_the_user_may_not_delete() {
    let (server, mut bob) = shared_with_bob().await;
    let mut alice = server.alice().await;
    alice.command("s SELECT Shared/Projects").await;
    alice.command("a STORE 1 +FLAGS.SILENT (\\Deleted)").await;
    assert_eq!(
        bob.command("b EXPUNGE").await,
        "* 1 FETCH (FLAGS (\\Deleted \\Recent))\r\nb OK EXPUNGE completed\r\n"
    );
    assert_eq!(
        alice.command("c EXPUNGE").await,
        "* 1 EXPUNGE\r\nc OK EXPUNGE completed\r\n"
    );
}

// ---------------------------------------------------------------------------------------
// SEARCH

/// Five messages: m1..m5 delivered a day apart from 28-Nov-2026, growing in size, with
/// flags set by alice: 1 \Seen, 2 \Flagged \Seen, 3 \Deleted Work, 4 \Answered \Draft, and
/// 5 none. Every message is `\Recent` in the returned session.
async fn search_fixture() -> (TestServer, RawClient) {
    let server = TestServer::start().await;
    for i in 1..=5 {
        let padding = "p".repeat(i * 100);
        server.deliver("INBOX", &format!("Subject: m{i}\r\n\r\n{padding}\r\n"));
        server.clock.advance_ms(24 * 3600 * 1000);
    }
    let mut c = server.alice().await;
    c.command("s SELECT INBOX").await;
    for (n, flags) in [
        (1, "\\Seen"),
        (2, "\\Flagged \\Seen"),
        (3, "\\Deleted Work"),
        (4, "\\Answered \\Draft"),
    ] {
        c.command(&format!("f STORE {n} +FLAGS.SILENT ({flags})"))
            .await;
    }
    (server, c)
}

async fn search(c: &mut RawClient, criteria: &str) -> String {
    c.command(&format!("q SEARCH {criteria}")).await
}

fn found(numbers: &str) -> String {
    if numbers.is_empty() {
        "* SEARCH\r\nq OK SEARCH completed\r\n".into()
    } else {
        format!("* SEARCH {numbers}\r\nq OK SEARCH completed\r\n")
    }
}

#[tokio::test]
async fn search_all() {
    let (_server, mut c) = search_fixture().await;
    assert_eq!(search(&mut c, "ALL").await, found("1 2 3 4 5"));
}

#[tokio::test]
async fn search_by_flags() {
    let (_server, mut c) = search_fixture().await;
    for (criteria, expected) in [
        ("SEEN", "1 2"),
        ("UNSEEN", "3 4 5"),
        ("FLAGGED", "2"),
        ("UNFLAGGED", "1 3 4 5"),
        ("DELETED", "3"),
        ("UNDELETED", "1 2 4 5"),
        ("ANSWERED", "4"),
        ("UNANSWERED", "1 2 3 5"),
        ("DRAFT", "4"),
        ("UNDRAFT", "1 2 3 5"),
        ("RECENT", "1 2 3 4 5"),
        ("OLD", ""),
        ("NEW", "3 4 5"),
    ] {
        assert_eq!(
            search(&mut c, criteria).await,
            found(expected),
            "{criteria}"
        );
    }
}

#[tokio::test]
async fn search_by_keyword() {
    let (_server, mut c) = search_fixture().await;
    assert_eq!(search(&mut c, "KEYWORD Work").await, found("3"));
    assert_eq!(search(&mut c, "KEYWORD work").await, found("3"));
    assert_eq!(search(&mut c, "UNKEYWORD Work").await, found("1 2 4 5"));
    assert_eq!(search(&mut c, "KEYWORD Other").await, found(""));
}

#[tokio::test]
async fn search_by_sequence_set_and_uid() {
    let (_server, mut c) = search_fixture().await;
    assert_eq!(search(&mut c, "2,4:*").await, found("2 4 5"));
    assert_eq!(search(&mut c, "*").await, found("5"));
    assert_eq!(search(&mut c, "UID 2:3").await, found("2 3"));
    assert_eq!(search(&mut c, "UID 9:*").await, found("5"));
    assert_eq!(search(&mut c, "UID 9").await, found(""));
}

#[tokio::test]
async fn search_by_internal_date() {
    let (_server, mut c) = search_fixture().await;
    assert_eq!(search(&mut c, "BEFORE 30-Nov-2026").await, found("1 2"));
    assert_eq!(search(&mut c, "ON 30-Nov-2026").await, found("3"));
    assert_eq!(search(&mut c, "SINCE 30-Nov-2026").await, found("3 4 5"));
    assert_eq!(search(&mut c, "SINCE 1-Jan-2027").await, found(""));
}

#[tokio::test]
async fn search_by_size() {
    let (_server, mut c) = search_fixture().await;
    // m1 is 15 + 100 + 2 = 117 bytes, each next one 100 more.
    assert_eq!(search(&mut c, "LARGER 317").await, found("4 5"));
    assert_eq!(search(&mut c, "LARGER 316").await, found("3 4 5"));
    assert_eq!(search(&mut c, "SMALLER 217").await, found("1"));
    assert_eq!(search(&mut c, "SMALLER 218").await, found("1 2"));
}

#[tokio::test]
async fn search_with_not_or_and_parentheses() {
    let (_server, mut c) = search_fixture().await;
    assert_eq!(search(&mut c, "NOT SEEN").await, found("3 4 5"));
    assert_eq!(search(&mut c, "OR FLAGGED DRAFT").await, found("2 4"));
    assert_eq!(search(&mut c, "SEEN NOT FLAGGED").await, found("1"));
    assert_eq!(
        search(&mut c, "OR (SEEN FLAGGED) (DELETED KEYWORD Work)").await,
        found("2 3")
    );
    assert_eq!(search(&mut c, "NOT (OR SEEN DELETED)").await, found("4 5"));
}

#[tokio::test]
async fn uid_search_answers_with_uids() {
    let (_server, mut c) = search_fixture().await;
    // Expunges 1 and 3: UIDs 2, 4, 5 remain as 1, 2, 3.
    c.command("a STORE 1 +FLAGS.SILENT (\\Deleted)").await;
    c.command("b EXPUNGE").await;
    assert_eq!(
        c.command("q UID SEARCH UNSEEN").await,
        "* SEARCH 4 5\r\nq OK SEARCH completed\r\n"
    );
    assert_eq!(search(&mut c, "UNSEEN").await, found("2 3"));
}

#[tokio::test]
async fn search_with_a_charset() {
    let (_server, mut c) = search_fixture().await;
    assert_eq!(search(&mut c, "CHARSET UTF-8 SEEN").await, found("1 2"));
    assert_eq!(search(&mut c, "CHARSET us-ascii SEEN").await, found("1 2"));
    assert_eq!(
        search(&mut c, "CHARSET ISO-8859-1 SEEN").await,
        "q NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset\r\n"
    );
}

#[tokio::test]
async fn search_in_an_empty_mailbox() {
    let (_server, mut c) = inbox_with(0).await;
    assert_eq!(search(&mut c, "ALL").await, found(""));
    assert_eq!(search(&mut c, "1:*").await, found(""));
}
