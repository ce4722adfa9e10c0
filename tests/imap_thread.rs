//! THREAD and UID THREAD (RFC 5256) over a real socket: exact responses for ORDEREDSUBJECT
//! and REFERENCES, search criteria (a literal, `$`, TEXT), errors; on the Alfresco backend,
//! threading messages whose summaries are kept downloads nothing, and documents thread too.
//! Python's `imaplib.thread()` reads the response (needs `python3`).

mod common;

use common::alfresco::{AlfrescoServer, append, select, tagged};
use common::client::RawClient;
use common::real_clients::python_available;
use common::server::TestServer;

/// Nine e-mails: a Budget thread (with a reply dated earlier than another in another zone, and
/// a forward that only its subject ties in), an Agenda thread tied by In-Reply-To only, two
/// replies to a message that is not there, and a body word for TEXT.
fn mails() -> Vec<String> {
    let mail = |id: u32, subject: &str, date: &str, extra: &str, body: &str| {
        format!(
            "From: Carol <carol@example.com>\r\nSubject: {subject}\r\nDate: {date}\r\n\
Message-ID: <{id}@example.com>\r\n{extra}\r\n{body}\r\n"
        )
    };
    vec![
        mail(1, "Budget", "Mon, 2 Nov 2026 09:00:00 +0000", "", "one"),
        mail(2, "Agenda", "Tue, 3 Nov 2026 09:00:00 +0000", "", "two"),
        mail(
            3,
            "Re: Budget",
            "Wed, 4 Nov 2026 09:00:00 +0000",
            "In-Reply-To: <1@example.com>\r\nReferences: <1@example.com>\r\n",
            "three",
        ),
        mail(
            4,
            "Re: Budget",
            "Thu, 5 Nov 2026 09:00:00 +0000",
            "References: <1@example.com>\r\n <3@example.com>\r\n",
            "see the spreadsheet",
        ),
        mail(
            5,
            "Re: Agenda",
            "Fri, 6 Nov 2026 09:00:00 +0000",
            "In-Reply-To: <2@example.com> (Agenda)\r\n",
            "five",
        ),
        mail(
            6,
            "[team] Fwd: Budget",
            "Sat, 7 Nov 2026 09:00:00 +0000",
            "",
            "six",
        ),
        mail(
            7,
            "Re: Lunch",
            "Sun, 8 Nov 2026 09:00:00 +0000",
            "References: <gone@example.com>\r\n",
            "seven",
        ),
        mail(
            8,
            "Re: Lunch",
            "Mon, 9 Nov 2026 09:00:00 +0000",
            "References: <gone@example.com>\r\n",
            "eight",
        ),
        mail(
            9,
            "Re: Budget",
            "Tue, 3 Nov 2026 08:00:00 -0500",
            "References: <1@example.com>\r\n",
            "nine",
        ),
    ]
}

/// The REFERENCES threads of all nine, by sequence number (= UID in a fresh mailbox).
const ALL_BY_REFERENCES: &str = "(1 (9)(3 4)(6))(2 5)((7)(8))";

async fn mailbox() -> (TestServer, RawClient) {
    let server = TestServer::start().await;
    for mail in mails() {
        server.deliver("INBOX", &mail);
    }
    let mut c = server.alice().await;
    c.command("s SELECT INBOX").await;
    (server, c)
}

fn threaded(tag: &str, lists: &str) -> String {
    let data = if lists.is_empty() {
        "* THREAD\r\n".to_owned()
    } else {
        format!("* THREAD {lists}\r\n")
    };
    format!("{data}{tag} OK THREAD completed\r\n")
}

#[tokio::test]
async fn capabilities_name_both_algorithms_after_login() {
    let (_server, mut c) = mailbox().await;
    let answer = c.command("c CAPABILITY").await;
    assert!(
        answer.contains(" SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES "),
        "{answer}"
    );
}

#[tokio::test]
async fn references_threads() {
    let (_server, mut c) = mailbox().await;
    assert_eq!(
        c.command("a THREAD REFERENCES UTF-8 ALL").await,
        threaded("a", ALL_BY_REFERENCES)
    );
    assert_eq!(
        c.command("b THREAD references us-ascii SUBJECT budget")
            .await,
        threaded("b", "(1 (9)(3 4)(6))")
    );
    // A literal inside the criteria.
    assert_eq!(
        c.command("c THREAD REFERENCES UTF-8 SUBJECT {5+}\r\nlunch")
            .await,
        threaded("c", "((7)(8))")
    );
    // Without the message they reply to, a dummy holds them; the forward joins by subject.
    assert_eq!(
        c.command("d THREAD REFERENCES UTF-8 NOT 1 SUBJECT budget")
            .await,
        threaded("d", "((9)(3 4)(6))")
    );
    assert_eq!(
        c.command("e THREAD REFERENCES UTF-8 SUBJECT nothing").await,
        threaded("e", "")
    );
}

#[tokio::test]
async fn ordered_subject_threads() {
    let (_server, mut c) = mailbox().await;
    assert_eq!(
        c.command("a THREAD ORDEREDSUBJECT UTF-8 ALL").await,
        threaded("a", "(1 (9)(3)(4)(6))(2 5)(7 8)")
    );
    // TEXT goes through SEARCH's evaluation.
    assert_eq!(
        c.command("b THREAD ORDEREDSUBJECT UTF-8 TEXT spreadsheet")
            .await,
        threaded("b", "(4)")
    );
}

#[tokio::test]
async fn uid_thread_shows_uids() {
    let (_server, mut c) = mailbox().await;
    c.command("x STORE 2 +FLAGS.SILENT (\\Deleted)").await;
    assert_eq!(
        c.command("y EXPUNGE").await,
        "* 2 EXPUNGE\r\ny OK EXPUNGE completed\r\n"
    );
    assert_eq!(
        c.command("a THREAD REFERENCES UTF-8 ALL").await,
        threaded("a", "(1 (8)(2 3)(5))(4)((6)(7))")
    );
    assert_eq!(
        c.command("b UID THREAD REFERENCES UTF-8 ALL").await,
        threaded("b", "(1 (9)(3 4)(6))(5)((7)(8))")
    );
    assert_eq!(
        c.command("c UID THREAD ORDEREDSUBJECT UTF-8 UID 5:*").await,
        threaded("c", "(9 6)(5)(7 8)")
    );
}

#[tokio::test]
async fn saved_search_results_are_threaded() {
    let (_server, mut c) = mailbox().await;
    assert_eq!(
        c.command("a SEARCH RETURN (SAVE) SUBJECT lunch").await,
        "a OK SEARCH completed\r\n"
    );
    assert_eq!(
        c.command("b THREAD REFERENCES UTF-8 $").await,
        threaded("b", "((7)(8))")
    );
}

#[tokio::test]
async fn errors() {
    let (server, mut c) = mailbox().await;
    assert_eq!(
        c.command("a THREAD FLAT UTF-8 ALL").await,
        "a BAD Unsupported threading algorithm\r\n"
    );
    let answer = c.command("b THREAD REFERENCES ISO-8859-1 ALL").await;
    assert!(answer.starts_with("b NO [BADCHARSET ("), "{answer}");
    assert_eq!(
        c.command("c THREAD REFERENCES ALL").await,
        "c BAD Invalid command syntax\r\n"
    );
    let mut other = server.alice().await;
    assert_eq!(
        other.command("d THREAD REFERENCES UTF-8 ALL").await,
        "d BAD No mailbox selected\r\n"
    );
}

// ---------------------------------------------------------------------------------------
// Alfresco backend

#[tokio::test]
async fn threading_kept_summaries_downloads_nothing_and_text_uses_the_index() {
    let server = AlfrescoServer::start().await;
    let mut c = server.login("alice").await;
    assert_eq!(
        c.command("c CREATE Threads").await,
        "c OK CREATE completed\r\n"
    );
    for mail in mails() {
        let answer = append(&mut c, "a", "Threads", "", mail.as_bytes()).await;
        assert!(tagged(&answer).starts_with("a OK"), "{answer}");
    }
    drop(c);
    // A new session: only the summaries kept in the state store are known.
    let mut c = server.login("alice").await;
    select(&mut c, "Threads").await;
    let before = server.downloads();
    assert_eq!(
        c.command("t THREAD REFERENCES UTF-8 ALL").await,
        threaded("t", ALL_BY_REFERENCES)
    );
    assert_eq!(
        c.command("o UID THREAD ORDEREDSUBJECT UTF-8 SUBJECT lunch")
            .await,
        threaded("o", "(7 8)")
    );
    assert_eq!(server.downloads(), before, "threading downloaded messages");
    // TEXT: the repository's index (or, within the index lag, the message) finds it.
    assert_eq!(
        c.command("x THREAD REFERENCES UTF-8 TEXT spreadsheet")
            .await,
        threaded("x", "(4)")
    );
}

#[tokio::test]
async fn documents_thread_alone_by_date() {
    let server = AlfrescoServer::start().await;
    let mut c = server.login("alice").await;
    select(
        &mut c,
        "Alfresco IMAP/Sites/marketing/documentLibrary/Press Releases",
    )
    .await;
    let sorted = c.command("s SORT (DATE) UTF-8 ALL").await;
    let numbers: Vec<&str> = sorted
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("* SORT "))
        .unwrap_or_else(|| panic!("{sorted}"))
        .split(' ')
        .collect();
    assert!(numbers.len() >= 2, "{sorted}");
    let subjects = c.command("f FETCH 1:* (ENVELOPE)").await;
    let before = server.downloads();
    let alone: String = numbers.iter().map(|n| format!("({n})")).collect();
    assert_eq!(
        c.command("t THREAD REFERENCES UTF-8 ALL").await,
        threaded("t", &alone),
        "{subjects}"
    );
    assert_eq!(server.downloads(), before, "threading downloaded documents");
}

// ---------------------------------------------------------------------------------------
// Python imaplib

#[tokio::test]
async fn python_imaplib_thread() {
    if !python_available("python_imaplib_thread") {
        return;
    }
    let (server, _c) = mailbox().await;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/clients/imaplib_thread.py"
    );
    let output = tokio::process::Command::new("python3")
        .arg(script)
        .arg(server.address.ip().to_string())
        .arg(server.address.port().to_string())
        .args(["alice", "alice"])
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        stdout,
        format!(
            "REFERENCES '{ALL_BY_REFERENCES}'\n\
             ORDEREDSUBJECT '(1 (9)(3)(4)(6))(2 5)(7 8)'\n\
             UID REFERENCES '((7)(8))'\n\
             EMPTY ''\n"
        )
    );
}
