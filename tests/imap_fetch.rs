//! Golden tests of FETCH items that need the message's structure: ENVELOPE, BODY,
//! BODYSTRUCTURE, sections, partial fetches and BINARY.

mod common;

use common::client::RawClient;
use common::server::TestServer;

const MIXED: &str = "From: Alice Adams <alice@example.com>\r\n\
To: bob@example.com\r\n\
Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n\
Date: Sat, 28 Nov 2026 10:00:00 +0100\r\n\
Message-ID: <m1@example.com>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b1\"\r\n\
\r\n\
--b1\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
Hello Bob\r\n\
--b1\r\n\
Content-Type: application/octet-stream; name=\"a.bin\"\r\n\
Content-Transfer-Encoding: base64\r\n\
Content-Disposition: attachment; filename=\"a.bin\"\r\n\
\r\n\
AAECAw==\r\n\
--b1--\r\n";

async fn selected_with(message: &str) -> (TestServer, RawClient) {
    let server = TestServer::start().await;
    server.deliver("INBOX", message);
    let mut c = server.alice().await;
    c.command("s SELECT INBOX").await;
    (server, c)
}

#[tokio::test]
async fn envelope_and_bodystructure() {
    let (_server, mut c) = selected_with(MIXED).await;
    assert_eq!(
        c.command("a FETCH 1 (ENVELOPE BODYSTRUCTURE)").await,
        "* 1 FETCH (ENVELOPE (\"Sat, 28 Nov 2026 10:00:00 +0100\" \"=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\" \
((\"Alice Adams\" NIL \"alice\" \"example.com\")) ((\"Alice Adams\" NIL \"alice\" \"example.com\")) \
((\"Alice Adams\" NIL \"alice\" \"example.com\")) ((NIL NIL \"bob\" \"example.com\")) NIL NIL NIL \
\"<m1@example.com>\") BODYSTRUCTURE ((\"TEXT\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 9 0 NIL NIL NIL NIL)\
(\"application\" \"octet-stream\" (\"name\" \"a.bin\") NIL NIL \"base64\" 8 NIL (\"attachment\" (\"filename\" \"a.bin\")) NIL NIL) \
\"mixed\" (\"boundary\" \"b1\") NIL NIL NIL))\r\n\
a OK FETCH completed\r\n"
    );
}

#[tokio::test]
async fn sections_and_partials() {
    let (_server, mut c) = selected_with(MIXED).await;
    assert_eq!(
        c.command(
            "a FETCH 1 (BODY.PEEK[1] BODY.PEEK[2.MIME] BODY.PEEK[HEADER.FIELDS (Subject To)])"
        )
        .await,
        "* 1 FETCH (BODY[1] {9}\r\nHello Bob BODY[2.MIME] {142}\r\n\
Content-Type: application/octet-stream; name=\"a.bin\"\r\n\
Content-Transfer-Encoding: base64\r\n\
Content-Disposition: attachment; filename=\"a.bin\"\r\n\r\n \
BODY[HEADER.FIELDS (Subject To)] {61}\r\nTo: bob@example.com\r\n\
Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n\r\n)\r\n\
a OK FETCH completed\r\n"
    );
    assert_eq!(
        c.command("b FETCH 1 (BODY.PEEK[1]<6.100> BODY.PEEK[]<0.4>)")
            .await,
        "* 1 FETCH (BODY[1]<6> {3}\r\nBob BODY[]<0> {4}\r\nFrom)\r\nb OK FETCH completed\r\n"
    );
}

#[tokio::test]
async fn binary_decodes_the_transfer_encoding() {
    let (_server, mut c) = selected_with(MIXED).await;
    assert_eq!(
        c.command("a FETCH 1 (BINARY.SIZE[2] BINARY.PEEK[2])").await,
        "* 1 FETCH (BINARY.SIZE[2] 4 BINARY[2] ~{4}\r\n\u{0}\u{1}\u{2}\u{3})\r\na OK FETCH completed\r\n"
    );
}

#[tokio::test]
async fn a_non_peek_section_sets_seen_and_reports_it() {
    let (_server, mut c) = selected_with(MIXED).await;
    assert_eq!(
        c.command("a FETCH 1 (BODY[1])").await,
        "* 1 FETCH (BODY[1] {9}\r\nHello Bob FLAGS (\\Seen \\Recent))\r\na OK FETCH completed\r\n"
    );
    assert_eq!(
        c.command("b FETCH 1 (FLAGS)").await,
        "* 1 FETCH (FLAGS (\\Seen \\Recent))\r\nb OK FETCH completed\r\n"
    );
}

#[tokio::test]
async fn rfc822_items() {
    let (_server, mut c) = selected_with("Subject: s\r\n\r\nbody\r\n").await;
    assert_eq!(
        c.command("a FETCH 1 (RFC822.HEADER RFC822.TEXT)").await,
        "* 1 FETCH (RFC822.HEADER {14}\r\nSubject: s\r\n\r\n RFC822.TEXT {6}\r\nbody\r\n FLAGS (\\Seen \\Recent))\r\n\
a OK FETCH completed\r\n"
    );
}

#[tokio::test]
async fn a_message_deleted_underneath_is_left_out() {
    let (server, mut c) = selected_with("Subject: s\r\n\r\nbody\r\n").await;
    let second = server.deliver("INBOX", "Subject: t\r\n\r\nother\r\n");
    c.command("n NOOP").await;
    server.repository.remove(&second);
    assert_eq!(
        c.command("a FETCH 1:2 (BODY.PEEK[TEXT])").await,
        "* 1 FETCH (BODY[TEXT] {6}\r\nbody\r\n)\r\n\
a NO [EXPUNGEISSUED] Some messages were deleted meanwhile and could not be fetched\r\n"
    );
    assert_eq!(
        c.command("b NOOP").await,
        "* 2 EXPUNGE\r\nb OK NOOP completed\r\n"
    );
}
