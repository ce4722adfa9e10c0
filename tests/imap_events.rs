//! Golden tests on raw bytes for changes made elsewhere: IDLE, the event rules of RFC 3501 §7
//! (no EXPUNGE during FETCH, STORE or SEARCH; allowed during their UID forms; pending changes
//! reported at NOOP; renumbering), `\Recent` across sessions (§2.3.2), messages and folders
//! removed underneath a session.

mod common;

use std::time::Duration;

use common::client::RawClient;
use common::golden::{VALIDITY, message, selected};
use common::server::{Options, TestServer};

/// A server with `count` messages in alice's INBOX, and two of alice's sessions: the first
/// has INBOX selected (and claimed every message as `\Recent`), the second is logged in.
async fn two_sessions(count: usize) -> (TestServer, RawClient, RawClient, Vec<String>) {
    let server = TestServer::start().await;
    let nodes = (1..=count)
        .map(|i| server.deliver("INBOX", &message(&format!("m{i}"))))
        .collect();
    let mut first = server.alice().await;
    first.command("s SELECT INBOX").await;
    let second = server.alice().await;
    (server, first, second, nodes)
}

/// Has `session` mark message `n` of INBOX `\Deleted` and expunge it.
async fn expunge_elsewhere(session: &mut RawClient, uid: u32) {
    session.command("x SELECT INBOX").await;
    session
        .command(&format!("y UID STORE {uid} +FLAGS.SILENT (\\Deleted)"))
        .await;
    session.command(&format!("z UID EXPUNGE {uid}")).await;
}

// ---------------------------------------------------------------------------------------
// IDLE

#[tokio::test]
async fn idle_reports_a_message_appended_by_another_session() {
    let (_server, mut alice, mut other, _) = two_sessions(0).await;
    alice.send(b"i IDLE\r\n").await;
    assert_eq!(alice.read_line().await, "+ idling\r\n");
    let body = message("x");
    assert_eq!(
        other
            .command(&format!("a APPEND INBOX {{{}+}}\r\n{body}", body.len()))
            .await,
        format!("a OK [APPENDUID {VALIDITY} 1] APPEND completed\r\n")
    );
    assert_eq!(alice.read_line().await, "* 1 EXISTS\r\n");
    assert_eq!(alice.read_line().await, "* 1 RECENT\r\n");
    alice.send(b"DONE\r\n").await;
    assert_eq!(alice.read_line().await, "i OK IDLE terminated\r\n");
}

#[tokio::test]
async fn idle_reports_flag_changes_and_expunges_from_another_session() {
    let (_server, mut alice, mut other, _) = two_sessions(2).await;
    alice.send(b"i IDLE\r\n").await;
    assert_eq!(alice.read_line().await, "+ idling\r\n");
    other.command("a SELECT INBOX").await;
    other.command("b STORE 2 +FLAGS (\\Flagged)").await;
    assert_eq!(
        alice.read_line().await,
        "* 2 FETCH (FLAGS (\\Flagged \\Recent))\r\n"
    );
    other.command("c STORE 1 +FLAGS.SILENT (\\Deleted)").await;
    assert_eq!(
        alice.read_line().await,
        "* 1 FETCH (FLAGS (\\Deleted \\Recent))\r\n"
    );
    other.command("d EXPUNGE").await;
    assert_eq!(alice.read_line().await, "* 1 EXPUNGE\r\n");
    alice.send(b"DONE\r\n").await;
    assert_eq!(alice.read_line().await, "i OK IDLE terminated\r\n");
    assert_eq!(
        alice.command("f FETCH 1:* (UID FLAGS)").await,
        "* 1 FETCH (UID 2 FLAGS (\\Flagged \\Recent))\r\nf OK FETCH completed\r\n"
    );
}

#[tokio::test]
async fn idle_polls_the_repository_for_changes_made_outside_imap() {
    let mut options = Options::default();
    options.connection.idle_poll = Duration::from_millis(5);
    let server = TestServer::with(options).await;
    let mut alice = server.alice().await;
    alice.command("s SELECT INBOX").await;
    alice.send(b"i IDLE\r\n").await;
    assert_eq!(alice.read_line().await, "+ idling\r\n");
    server.deliver("INBOX", &message("from Share"));
    assert_eq!(alice.read_line().await, "* 1 EXISTS\r\n");
    assert_eq!(alice.read_line().await, "* 1 RECENT\r\n");
    alice.send(b"DONE\r\n").await;
    assert_eq!(alice.read_line().await, "i OK IDLE terminated\r\n");
}

#[tokio::test]
async fn idle_without_a_selected_mailbox() {
    let server = TestServer::start().await;
    let mut alice = server.alice().await;
    alice.send(b"i IDLE\r\n").await;
    assert_eq!(alice.read_line().await, "+ idling\r\n");
    alice.send(b"done\r\n").await;
    assert_eq!(alice.read_line().await, "i OK IDLE terminated\r\n");
}

#[tokio::test]
async fn idle_ended_by_something_other_than_done_is_bad() {
    let server = TestServer::start().await;
    let mut alice = server.alice().await;
    alice.command("s SELECT INBOX").await;
    alice.send(b"i IDLE\r\n").await;
    assert_eq!(alice.read_line().await, "+ idling\r\n");
    alice.send(b"j NOOP\r\n").await;
    assert_eq!(alice.read_line().await, "i BAD Expected DONE\r\n");
    assert_eq!(alice.command("k NOOP").await, "k OK NOOP completed\r\n");
}

#[tokio::test]
async fn idle_and_done_in_one_packet() {
    let server = TestServer::start().await;
    let mut alice = server.alice().await;
    alice.send(b"i IDLE\r\nDONE\r\nj NOOP\r\n").await;
    assert_eq!(
        alice.read_tagged("j").await,
        "+ idling\r\ni OK IDLE terminated\r\nj OK NOOP completed\r\n"
    );
}

#[tokio::test]
async fn a_line_over_the_limit_ends_idle_with_its_tag() {
    let mut options = Options::default();
    options.connection.framing.max_line = 100;
    let server = TestServer::with(options).await;
    let mut alice = server.alice().await;
    alice.send(b"i IDLE\r\n").await;
    assert_eq!(alice.read_line().await, "+ idling\r\n");
    alice
        .send(format!("DONE{}\r\n", "x".repeat(200)).as_bytes())
        .await;
    assert_eq!(
        alice.read_line().await,
        "i BAD [LIMIT] Command exceeds the server's limits\r\n"
    );
    assert_eq!(alice.command("k NOOP").await, "k OK NOOP completed\r\n");
}

#[tokio::test]
async fn changes_pending_before_idle_are_reported_at_once() {
    let (_server, mut alice, mut other, _) = two_sessions(1).await;
    other.command("a SELECT INBOX").await;
    other.command("b STORE 1 +FLAGS.SILENT (\\Answered)").await;
    alice.send(b"i IDLE\r\n").await;
    assert_eq!(alice.read_line().await, "+ idling\r\n");
    assert_eq!(
        alice.read_line().await,
        "* 1 FETCH (FLAGS (\\Answered \\Recent))\r\n"
    );
    alice.send(b"DONE\r\n").await;
    assert_eq!(alice.read_line().await, "i OK IDLE terminated\r\n");
}

// ---------------------------------------------------------------------------------------
// RFC 3501 §7: when changes are reported

#[tokio::test]
async fn noop_reports_new_messages_flag_changes_and_expunges() {
    let (server, mut alice, mut other, _) = two_sessions(2).await;
    other.command("a SELECT INBOX").await;
    other.command("b STORE 2 +FLAGS.SILENT (\\Flagged)").await;
    expunge_elsewhere(&mut other, 1).await;
    server.deliver("INBOX", &message("m3"));
    assert_eq!(
        alice.command("c NOOP").await,
        "* 1 EXPUNGE\r\n\
         * 2 EXISTS\r\n\
         * 2 RECENT\r\n\
         * 1 FETCH (FLAGS (\\Flagged \\Recent))\r\n\
         c OK NOOP completed\r\n"
    );
    assert_eq!(
        alice.command("d FETCH 1:* (UID)").await,
        "* 1 FETCH (UID 2)\r\n* 2 FETCH (UID 3)\r\nd OK FETCH completed\r\n"
    );
}

#[tokio::test]
async fn check_reports_pending_changes_too() {
    let (server, mut alice, _other, _) = two_sessions(0).await;
    server.deliver("INBOX", &message("m1"));
    assert_eq!(
        alice.command("c CHECK").await,
        "* 1 EXISTS\r\n* 1 RECENT\r\nc OK CHECK completed\r\n"
    );
}

#[tokio::test]
async fn no_expunge_during_fetch_store_or_search() {
    let (_server, mut alice, mut other, _) = two_sessions(3).await;
    expunge_elsewhere(&mut other, 2).await;
    assert_eq!(
        alice.command("a FETCH 1:3 (UID)").await,
        "* 1 FETCH (UID 1)\r\n* 2 FETCH (UID 2)\r\n* 3 FETCH (UID 3)\r\na OK FETCH completed\r\n"
    );
    assert_eq!(
        alice.command("b STORE 3 +FLAGS (\\Seen)").await,
        "* 3 FETCH (FLAGS (\\Seen \\Recent))\r\nb OK STORE completed\r\n"
    );
    assert_eq!(
        alice.command("c SEARCH ALL").await,
        "* SEARCH 1 3\r\nc OK SEARCH completed\r\n"
    );
    assert_eq!(
        alice.command("d COPY 3 Trash").await,
        format!("d OK [COPYUID {VALIDITY} 3 1] COPY completed\r\n")
    );
    assert_eq!(
        alice.command("e NOOP").await,
        "* 2 EXPUNGE\r\ne OK NOOP completed\r\n"
    );
    assert_eq!(
        alice.command("f FETCH 2 (UID FLAGS)").await,
        "* 2 FETCH (UID 3 FLAGS (\\Seen \\Recent))\r\nf OK FETCH completed\r\n"
    );
}

#[tokio::test]
async fn expunge_is_reported_during_uid_fetch() {
    let (_server, mut alice, mut other, _) = two_sessions(3).await;
    expunge_elsewhere(&mut other, 2).await;
    assert_eq!(
        alice.command("a UID FETCH 1:* (FLAGS)").await,
        "* 1 FETCH (UID 1 FLAGS (\\Recent))\r\n\
         * 2 FETCH (UID 2 FLAGS (\\Recent))\r\n\
         * 3 FETCH (UID 3 FLAGS (\\Recent))\r\n\
         * 2 EXPUNGE\r\n\
         a OK FETCH completed\r\n"
    );
}

#[tokio::test]
async fn expunge_is_reported_during_uid_store_and_uid_search() {
    let (_server, mut alice, mut other, _) = two_sessions(3).await;
    expunge_elsewhere(&mut other, 1).await;
    assert_eq!(
        alice.command("a UID STORE 3 +FLAGS (\\Seen)").await,
        "* 3 FETCH (FLAGS (\\Seen \\Recent) UID 3)\r\n\
         * 1 EXPUNGE\r\n\
         a OK STORE completed\r\n"
    );
    expunge_elsewhere(&mut other, 2).await;
    assert_eq!(
        alice.command("b UID SEARCH ALL").await,
        "* SEARCH 3\r\n* 1 EXPUNGE\r\nb OK SEARCH completed\r\n"
    );
    assert_eq!(
        alice.command("c FETCH 1:* (UID)").await,
        "* 1 FETCH (UID 3)\r\nc OK FETCH completed\r\n"
    );
}

#[tokio::test]
async fn new_messages_are_reported_after_a_fetch() {
    let (_server, mut alice, mut other, _) = two_sessions(1).await;
    let body = message("m2");
    other
        .command(&format!("a APPEND INBOX {{{}+}}\r\n{body}", body.len()))
        .await;
    assert_eq!(
        alice.command("b FETCH 1 (UID)").await,
        "* 1 FETCH (UID 1)\r\n* 2 EXISTS\r\n* 2 RECENT\r\nb OK FETCH completed\r\n"
    );
}

// ---------------------------------------------------------------------------------------
// \Recent (RFC 3501 §2.3.2)

#[tokio::test]
async fn only_the_first_read_write_select_gets_recent() {
    let server = TestServer::start().await;
    server.deliver("INBOX", &message("m1"));
    server.deliver("INBOX", &message("m2"));
    let mut first = server.alice().await;
    assert_eq!(
        first.command("a SELECT INBOX").await,
        selected("a", 2, 2, Some(1), 3)
    );
    let mut second = server.alice().await;
    assert_eq!(
        second.command("b SELECT INBOX").await,
        selected("b", 2, 0, Some(1), 3)
    );
    assert_eq!(
        first.command("c FETCH 1:2 (FLAGS)").await,
        "* 1 FETCH (FLAGS (\\Recent))\r\n* 2 FETCH (FLAGS (\\Recent))\r\nc OK FETCH completed\r\n"
    );
    assert_eq!(
        second.command("d FETCH 1:2 (FLAGS)").await,
        "* 1 FETCH (FLAGS ())\r\n* 2 FETCH (FLAGS ())\r\nd OK FETCH completed\r\n"
    );
    assert_eq!(
        second.command("e SEARCH RECENT").await,
        "* SEARCH\r\ne OK SEARCH completed\r\n"
    );
}

#[tokio::test]
async fn examine_and_status_do_not_claim_recent() {
    let server = TestServer::start().await;
    server.deliver("INBOX", &message("m1"));
    let mut looker = server.alice().await;
    let examined = looker.command("a EXAMINE INBOX").await;
    assert!(examined.contains("* 1 RECENT\r\n"), "{examined}");
    assert_eq!(
        looker.command("b STATUS INBOX (RECENT)").await,
        "* STATUS INBOX (RECENT 1)\r\nb OK STATUS completed\r\n"
    );
    let mut reader = server.alice().await;
    assert_eq!(
        reader.command("c SELECT INBOX").await,
        selected("c", 1, 1, Some(1), 2)
    );
    assert_eq!(
        looker.command("d STATUS INBOX (RECENT)").await,
        "* STATUS INBOX (RECENT 0)\r\nd OK STATUS completed\r\n"
    );
}

#[tokio::test]
async fn recent_stays_recent_for_an_examining_session_once_claimed_elsewhere() {
    let server = TestServer::start().await;
    server.deliver("INBOX", &message("m1"));
    let mut looker = server.alice().await;
    looker.command("a EXAMINE INBOX").await;
    let mut reader = server.alice().await;
    reader.command("b SELECT INBOX").await;
    server.deliver("INBOX", &message("m2"));
    assert_eq!(
        looker.command("c NOOP").await,
        "* 2 EXISTS\r\n* 2 RECENT\r\nc OK NOOP completed\r\n"
    );
    assert_eq!(
        looker.command("d FETCH 1:2 (FLAGS)").await,
        "* 1 FETCH (FLAGS (\\Recent))\r\n* 2 FETCH (FLAGS (\\Recent))\r\nd OK FETCH completed\r\n"
    );
}

#[tokio::test]
async fn a_new_message_is_recent_for_the_session_that_notices_it_first() {
    let (server, mut first, mut second, _) = two_sessions(1).await;
    second.command("a SELECT INBOX").await;
    server.deliver("INBOX", &message("m2"));
    assert_eq!(
        second.command("b NOOP").await,
        "* 2 EXISTS\r\n* 1 RECENT\r\nb OK NOOP completed\r\n"
    );
    assert_eq!(
        first.command("c NOOP").await,
        "* 2 EXISTS\r\nc OK NOOP completed\r\n"
    );
    assert_eq!(
        second.command("d FETCH 1:2 (FLAGS)").await,
        "* 1 FETCH (FLAGS ())\r\n* 2 FETCH (FLAGS (\\Recent))\r\nd OK FETCH completed\r\n"
    );
}

// ---------------------------------------------------------------------------------------
// Changes underneath a session

#[tokio::test]
async fn a_message_removed_underneath_is_expunged_at_the_next_legal_moment() {
    let (server, mut alice, _other, nodes) = two_sessions(3).await;
    server.repository.remove(&nodes[1]);
    assert_eq!(
        alice.command("a FETCH 2 (UID FLAGS)").await,
        "* 2 FETCH (UID 2 FLAGS (\\Recent))\r\na OK FETCH completed\r\n"
    );
    assert_eq!(
        alice.command("b STORE 2 +FLAGS (\\Flagged)").await,
        "* 2 FETCH (FLAGS (\\Flagged \\Recent))\r\nb OK STORE completed\r\n"
    );
    assert_eq!(
        alice.command("c SEARCH ALL").await,
        "* SEARCH 1 3\r\nc OK SEARCH completed\r\n"
    );
    assert_eq!(
        alice.command("d NOOP").await,
        "* 2 EXPUNGE\r\nd OK NOOP completed\r\n"
    );
    assert_eq!(
        alice.command("e FETCH 1:* (UID)").await,
        "* 1 FETCH (UID 1)\r\n* 2 FETCH (UID 3)\r\ne OK FETCH completed\r\n"
    );
}

#[tokio::test]
async fn fetch_of_a_message_removed_underneath_is_left_out() {
    let (server, mut alice, _other, nodes) = two_sessions(3).await;
    server.repository.remove(&nodes[1]);
    let m1 = message("m1");
    assert_eq!(
        alice.command("a FETCH 1:2 (BODY.PEEK[])").await,
        format!(
            "* 1 FETCH (BODY[] {{{}}}\r\n{m1})\r\n\
             a NO [EXPUNGEISSUED] Some messages were deleted meanwhile and could not be fetched\r\n",
            m1.len()
        )
    );
}

#[tokio::test]
async fn a_message_hidden_from_one_user_is_expunged_for_that_user_only() {
    let server = TestServer::start().await;
    let node = server
        .repository
        .deliver(None, "Shared/Projects", message("plan").as_bytes());
    let mut alice = server.alice().await;
    alice.command("a SELECT Shared/Projects").await;
    let mut bob = server.bob().await;
    bob.command("b SELECT Shared/Projects").await;
    server.repository.hide_from(&node, "bob");
    assert_eq!(
        bob.command("c NOOP").await,
        "* 1 EXPUNGE\r\nc OK NOOP completed\r\n"
    );
    assert_eq!(alice.command("d NOOP").await, "d OK NOOP completed\r\n");
    assert_eq!(
        alice.command("e FETCH 1 (UID)").await,
        "* 1 FETCH (UID 1)\r\ne OK FETCH completed\r\n"
    );
}

#[tokio::test]
async fn a_new_version_is_a_new_message() {
    let (server, mut alice, _other, nodes) = two_sessions(1).await;
    server
        .repository
        .replace_content(&nodes[0], message("m1, edited").as_bytes());
    assert_eq!(
        alice.command("a NOOP").await,
        "* 1 EXPUNGE\r\n* 1 EXISTS\r\n* 1 RECENT\r\na OK NOOP completed\r\n"
    );
    assert_eq!(
        alice.command("b FETCH 1 (UID RFC822.SIZE)").await,
        format!(
            "* 1 FETCH (UID 2 RFC822.SIZE {})\r\nb OK FETCH completed\r\n",
            message("m1, edited").len()
        )
    );
}

#[tokio::test]
async fn the_selected_mailbox_deleted_underneath_ends_the_session() {
    let server = TestServer::start().await;
    let mut alice = server.alice().await;
    alice.command("a CREATE Projects").await;
    alice.command("b SELECT Projects").await;
    let mut other = server.alice().await;
    assert_eq!(
        other.command("c DELETE Projects").await,
        "c OK DELETE completed\r\n"
    );
    alice.send(b"d NOOP\r\n").await;
    assert_eq!(
        alice.read_to_close().await,
        "* BYE the mailbox has been deleted\r\n"
    );
}

#[tokio::test]
async fn the_selected_mailbox_deleted_while_idling_ends_the_session() {
    let server = TestServer::start().await;
    let mut alice = server.alice().await;
    alice.command("a CREATE Projects").await;
    alice.command("b SELECT Projects").await;
    alice.send(b"i IDLE\r\n").await;
    assert_eq!(alice.read_line().await, "+ idling\r\n");
    let mut other = server.alice().await;
    other.command("c DELETE Projects").await;
    assert_eq!(
        alice.read_to_close().await,
        "* BYE the mailbox has been deleted\r\n"
    );
}

#[tokio::test]
async fn the_selected_mailbox_renamed_underneath_keeps_being_served() {
    let server = TestServer::start().await;
    let mut alice = server.alice().await;
    alice.command("a CREATE Projects").await;
    server.deliver("Projects", &message("m1"));
    alice.command("b SELECT Projects").await;
    let mut other = server.alice().await;
    other.command("c RENAME Projects Archive").await;
    assert_eq!(alice.command("d NOOP").await, "d OK NOOP completed\r\n");
    assert_eq!(
        alice.command("e FETCH 1 (UID)").await,
        "* 1 FETCH (UID 1)\r\ne OK FETCH completed\r\n"
    );
}
