//! Golden tests of SEARCH keys that look at the message: headers, dates and text.

mod common;

use common::client::RawClient;
use common::server::TestServer;

async fn mailbox() -> (TestServer, RawClient) {
    let server = TestServer::start().await;
    server.deliver(
        "INBOX",
        "From: Alice <alice@example.com>\r\nTo: bob@example.com\r\nSubject: Quarterly report\r\n\
Date: Mon, 2 Nov 2026 09:00:00 +0000\r\nX-Priority: 1\r\n\r\nNumbers are up.\r\n",
    );
    server.deliver(
        "INBOX",
        "From: =?UTF-8?Q?J=C3=BCrgen?= <j@example.de>\r\nTo: alice@example.com\r\nCc: team@example.com\r\n\
Subject: =?UTF-8?B?R3LDvMOfZQ==?=\r\nDate: Fri, 20 Nov 2026 18:30:00 -0800\r\n\
Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
Sch=C3=B6ne Gr=C3=BC=C3=9Fe aus M=C3=BCnchen\r\n",
    );
    let mut c = server.alice().await;
    c.command("s SELECT INBOX").await;
    (server, c)
}

async fn search(c: &mut RawClient, criteria: &str) -> String {
    c.command(&format!("q SEARCH {criteria}")).await
}

#[tokio::test]
async fn header_keys() {
    let (_server, mut c) = mailbox().await;
    assert_eq!(
        search(&mut c, "FROM alice").await,
        "* SEARCH 1\r\nq OK SEARCH completed\r\n"
    );
    // 8-bit text must come as a literal: an atom cannot hold it.
    assert_eq!(
        search(&mut c, "FROM jürgen").await,
        "q BAD Invalid command syntax\r\n"
    );
    assert_eq!(
        search(&mut c, "CHARSET UTF-8 FROM {7+}\r\njürgen").await,
        "* SEARCH 2\r\nq OK SEARCH completed\r\n"
    );
    assert_eq!(
        search(&mut c, "TO alice").await,
        "* SEARCH 2\r\nq OK SEARCH completed\r\n"
    );
    assert_eq!(
        search(&mut c, "CC team").await,
        "* SEARCH 2\r\nq OK SEARCH completed\r\n"
    );
    assert_eq!(
        search(&mut c, "BCC team").await,
        "* SEARCH\r\nq OK SEARCH completed\r\n"
    );
    assert_eq!(
        search(&mut c, "SUBJECT REPORT").await,
        "* SEARCH 1\r\nq OK SEARCH completed\r\n"
    );
    assert_eq!(
        search(&mut c, "CHARSET UTF-8 SUBJECT {4+}\r\ngrü").await,
        "* SEARCH 2\r\nq OK SEARCH completed\r\n"
    );
    assert_eq!(
        search(&mut c, "HEADER X-Priority 1").await,
        "* SEARCH 1\r\nq OK SEARCH completed\r\n"
    );
    assert_eq!(
        search(&mut c, "HEADER X-Priority \"\"").await,
        "* SEARCH 1\r\nq OK SEARCH completed\r\n"
    );
    assert_eq!(
        search(&mut c, "NOT HEADER Cc \"\"").await,
        "* SEARCH 1\r\nq OK SEARCH completed\r\n"
    );
}

#[tokio::test]
async fn sent_dates_ignore_time_and_zone() {
    let (_server, mut c) = mailbox().await;
    assert_eq!(
        search(&mut c, "SENTON 2-Nov-2026").await,
        "* SEARCH 1\r\nq OK SEARCH completed\r\n"
    );
    assert_eq!(
        search(&mut c, "SENTON 20-Nov-2026").await,
        "* SEARCH 2\r\nq OK SEARCH completed\r\n"
    );
    assert_eq!(
        search(&mut c, "SENTBEFORE 20-Nov-2026").await,
        "* SEARCH 1\r\nq OK SEARCH completed\r\n"
    );
    assert_eq!(
        search(&mut c, "SENTSINCE 3-Nov-2026").await,
        "* SEARCH 2\r\nq OK SEARCH completed\r\n"
    );
}

#[tokio::test]
async fn body_and_text() {
    let (_server, mut c) = mailbox().await;
    assert_eq!(
        search(&mut c, "BODY numbers").await,
        "* SEARCH 1\r\nq OK SEARCH completed\r\n"
    );
    assert_eq!(
        search(&mut c, "CHARSET UTF-8 BODY {8+}\r\nmünchen").await,
        "* SEARCH 2\r\nq OK SEARCH completed\r\n"
    );
    assert_eq!(
        search(&mut c, "BODY quarterly").await,
        "* SEARCH\r\nq OK SEARCH completed\r\n"
    );
    assert_eq!(
        search(&mut c, "TEXT quarterly").await,
        "* SEARCH 1\r\nq OK SEARCH completed\r\n"
    );
    assert_eq!(
        search(&mut c, "OR TEXT numbers SUBJECT nothing").await,
        "* SEARCH 1\r\nq OK SEARCH completed\r\n"
    );
}

#[tokio::test]
async fn sizes() {
    let (_server, mut c) = mailbox().await;
    assert_eq!(
        search(&mut c, "LARGER 200").await,
        "* SEARCH 2\r\nq OK SEARCH completed\r\n"
    );
    assert_eq!(
        search(&mut c, "SMALLER 200").await,
        "* SEARCH 1\r\nq OK SEARCH completed\r\n"
    );
}
