//! Golden tests of ESEARCH (RFC 4731), SEARCHRES (RFC 5182) and SORT (RFC 5256).

mod common;

use common::client::RawClient;
use common::server::TestServer;

async fn mailbox() -> (TestServer, RawClient) {
    let server = TestServer::start().await;
    let messages = [
        "From: Carol <carol@example.com>\r\nSubject: Re: Budget\r\nDate: Wed, 4 Nov 2026 09:00:00 +0000\r\n\r\nthree\r\n",
        "From: alice@example.com\r\nSubject: Agenda\r\nDate: Mon, 2 Nov 2026 09:00:00 +0000\r\n\r\none, a longer body\r\n",
        "From: Bob <bob@example.com>\r\nSubject: [team] Fwd: budget\r\nDate: Tue, 3 Nov 2026 09:00:00 +0000\r\n\r\ntwo\r\n",
    ];
    for message in messages {
        server.deliver("INBOX", message);
    }
    let mut c = server.alice().await;
    c.command("s SELECT INBOX").await;
    (server, c)
}

#[tokio::test]
async fn esearch_return_options() {
    let (_server, mut c) = mailbox().await;
    assert_eq!(
        c.command("a SEARCH RETURN (MIN MAX COUNT ALL) ALL").await,
        "* ESEARCH (TAG \"a\") MIN 1 MAX 3 COUNT 3 ALL 1:3\r\na OK SEARCH completed\r\n"
    );
    assert_eq!(
        c.command("b UID SEARCH RETURN () NOT 2").await,
        "* ESEARCH (TAG \"b\") UID ALL 1,3\r\nb OK SEARCH completed\r\n"
    );
    assert_eq!(
        c.command("c SEARCH RETURN (MIN COUNT) KEYWORD nothing")
            .await,
        "* ESEARCH (TAG \"c\") COUNT 0\r\nc OK SEARCH completed\r\n"
    );
    assert_eq!(
        c.command("d SEARCH RETURN (COUNT) SUBJECT {6+}\r\nbudget")
            .await,
        "* ESEARCH (TAG \"d\") COUNT 2\r\nd OK SEARCH completed\r\n"
    );
}

#[tokio::test]
async fn saved_results_are_used_by_later_commands() {
    let (_server, mut c) = mailbox().await;
    assert_eq!(
        c.command("a SEARCH RETURN (SAVE) SUBJECT budget").await,
        "a OK SEARCH completed\r\n"
    );
    assert_eq!(
        c.command("b FETCH $ (UID)").await,
        "* 1 FETCH (UID 1)\r\n* 3 FETCH (UID 3)\r\nb OK FETCH completed\r\n"
    );
    assert_eq!(
        c.command("c UID SEARCH UID $ FROM bob").await,
        "* SEARCH 3\r\nc OK SEARCH completed\r\n"
    );
    c.command("d SELECT INBOX").await;
    assert_eq!(
        c.command("e FETCH $ (UID)").await,
        "e OK Nothing saved to act on\r\n"
    );
    assert_eq!(
        c.command("f UID SEARCH UID $").await,
        "* SEARCH\r\nf OK SEARCH completed\r\n"
    );
}

/// RFC 5182 section 2.1: a plain `$` search key is a set of message numbers even in `UID
/// SEARCH`, `UID $` a set of UIDs even in `SEARCH`; told apart once numbers and UIDs differ.
#[tokio::test]
async fn saved_results_are_numbers_or_uids_by_position() {
    let (_server, mut c) = mailbox().await;
    c.command("a STORE 1 +FLAGS.SILENT (\\Deleted)").await;
    assert_eq!(
        c.command("b EXPUNGE").await,
        "* 1 EXPUNGE\r\nb OK EXPUNGE completed\r\n"
    );
    // Left: UID 2 "Agenda" (message 1) and UID 3 "[team] Fwd: budget" (message 2).
    c.command("c SEARCH RETURN (SAVE) SUBJECT budget").await;
    assert_eq!(
        c.command("d UID SEARCH $").await,
        "* SEARCH 3\r\nd OK SEARCH completed\r\n"
    );
    assert_eq!(
        c.command("e SEARCH UID $").await,
        "* SEARCH 2\r\ne OK SEARCH completed\r\n"
    );
    assert_eq!(
        c.command("f UID FETCH $ (UID)").await,
        "* 2 FETCH (UID 3)\r\nf OK FETCH completed\r\n"
    );
    assert_eq!(
        c.command("g FETCH $ (UID)").await,
        "* 2 FETCH (UID 3)\r\ng OK FETCH completed\r\n"
    );
    assert_eq!(
        c.command("h UID SORT (ARRIVAL) UTF-8 UID $").await,
        "* SORT 3\r\nh OK SORT completed\r\n"
    );
}

#[tokio::test]
async fn sort_by_each_key() {
    let (_server, mut c) = mailbox().await;
    assert_eq!(
        c.command("a SORT (DATE) UTF-8 ALL").await,
        "* SORT 2 3 1\r\na OK SORT completed\r\n"
    );
    assert_eq!(
        c.command("b SORT (REVERSE DATE) UTF-8 ALL").await,
        "* SORT 1 3 2\r\nb OK SORT completed\r\n"
    );
    // Base subjects: "agenda", "budget", "budget" (ties by sequence number).
    assert_eq!(
        c.command("c SORT (SUBJECT) UTF-8 ALL").await,
        "* SORT 2 1 3\r\nc OK SORT completed\r\n"
    );
    assert_eq!(
        c.command("d SORT (FROM) UTF-8 ALL").await,
        "* SORT 2 3 1\r\nd OK SORT completed\r\n"
    );
    // Sizes 101, 102 and 103 bytes.
    assert_eq!(
        c.command("e SORT (SIZE) UTF-8 ALL").await,
        "* SORT 1 2 3\r\ne OK SORT completed\r\n"
    );
    assert_eq!(
        c.command("g SORT (REVERSE SIZE) UTF-8 ALL").await,
        "* SORT 3 2 1\r\ng OK SORT completed\r\n"
    );
    assert_eq!(
        c.command("f UID SORT (ARRIVAL) UTF-8 SUBJECT budget").await,
        "* SORT 1 3\r\nf OK SORT completed\r\n"
    );
}
