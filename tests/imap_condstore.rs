//! Golden tests of CONDSTORE and QRESYNC (RFC 7162).

mod common;

use common::client::RawClient;
use common::golden::{VALIDITY, message};
use common::server::TestServer;

async fn inbox(messages: usize) -> (TestServer, RawClient) {
    let server = TestServer::start().await;
    for i in 1..=messages {
        server.deliver("INBOX", &message(&format!("m{i}")));
    }
    let mut c = server.alice().await;
    c.command("e ENABLE QRESYNC").await;
    (server, c)
}

#[tokio::test]
async fn select_reports_highestmodseq() {
    let (_server, mut c) = inbox(2).await;
    let answer = c.command("s SELECT INBOX (CONDSTORE)").await;
    assert!(
        answer.contains("* OK [HIGHESTMODSEQ 3] Highest\r\n"),
        "{answer}"
    );
}

#[tokio::test]
async fn store_unchangedsince_and_fetch_changedsince() {
    let (_server, mut c) = inbox(3).await;
    c.command("s SELECT INBOX").await;
    assert_eq!(
        c.command("a STORE 1 +FLAGS (\\Flagged)").await,
        "* 1 FETCH (FLAGS (\\Flagged \\Recent) MODSEQ (5))\r\na OK STORE completed\r\n"
    );
    assert_eq!(
        c.command("b STORE 1,2 (UNCHANGEDSINCE 4) +FLAGS (\\Answered)")
            .await,
        "* 2 FETCH (FLAGS (\\Answered \\Recent) MODSEQ (6))\r\nb OK [MODIFIED 1] Conditional STORE failed\r\n"
    );
    assert_eq!(
        c.command("c FETCH 1:* (FLAGS) (CHANGEDSINCE 4)").await,
        "* 1 FETCH (FLAGS (\\Flagged \\Recent) MODSEQ (5))\r\n\
         * 2 FETCH (FLAGS (\\Answered \\Recent) MODSEQ (6))\r\nc OK FETCH completed\r\n"
    );
    assert_eq!(
        c.command("d SEARCH MODSEQ 6").await,
        "* SEARCH 2 (MODSEQ 6)\r\nd OK SEARCH completed\r\n"
    );
    assert_eq!(
        c.command("f STORE 3 +FLAGS.SILENT (\\Seen)").await,
        "* 3 FETCH (MODSEQ (7))\r\nf OK STORE completed\r\n"
    );
}

#[tokio::test]
async fn qresync_reports_what_vanished_and_changed() {
    let (server, mut c) = inbox(3).await;
    c.command("s SELECT INBOX").await;
    c.command("a STORE 2 +FLAGS (\\Deleted)").await;
    c.command("b EXPUNGE").await;
    c.command("u UNSELECT").await;
    let mut other = server.alice().await;
    other.command("s SELECT INBOX").await;
    other.command("a STORE 1 +FLAGS (\\Flagged)").await;
    let answer = c
        .command(&format!("q SELECT INBOX (QRESYNC ({VALIDITY} 4 1:3))"))
        .await;
    assert!(answer.contains("* VANISHED (EARLIER) 2\r\n"), "{answer}");
    assert!(
        answer.contains("* 1 FETCH (FLAGS (\\Flagged) UID 1 MODSEQ (7))\r\n"),
        "{answer}"
    );
    assert_eq!(
        c.command("v UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)")
            .await,
        "* VANISHED (EARLIER) 2\r\n* 1 FETCH (UID 1 FLAGS (\\Flagged) MODSEQ (7))\r\n\
         * 2 FETCH (UID 3 FLAGS () MODSEQ (4))\r\nv OK FETCH completed\r\n"
    );
}

#[tokio::test]
async fn qresync_needs_enable() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    assert_eq!(
        c.command(&format!("q SELECT INBOX (QRESYNC ({VALIDITY} 1))"))
            .await,
        "q BAD Enable QRESYNC first\r\n"
    );
}

#[tokio::test]
async fn expunge_is_vanished_with_qresync() {
    let (_server, mut c) = inbox(2).await;
    c.command("s SELECT INBOX").await;
    c.command("a STORE 1 +FLAGS.SILENT (\\Deleted)").await;
    assert_eq!(
        c.command("b EXPUNGE").await,
        "* VANISHED 1\r\nb OK EXPUNGE completed\r\n"
    );
}
