//! Real IMAP clients against the server (in-memory repository, 127.0.0.1:0): Python's
//! `imaplib` (a scripted session), `curl` (also over STARTTLS and IMAPS) and `mbsync`. Each
//! test checks what the client got and what the repository holds afterwards.
//!
//! Needs `python3`, `curl` and `mbsync` (Debian packages `python3`, `curl`, `isync`). A test
//! whose program is missing is skipped with a message, or fails when
//! `ALFRESCO_IMAP_REQUIRE_EXTERNAL=1`. The clients themselves live in
//! `tests/common/real_clients.rs`, usable against any server address.

mod common;

use common::golden::message;
use common::real_clients::{
    Curl, ImaplibPlan, Mbsync, Target, curl_available, imaplib_session, lf, mbsync_available,
    python_available, without_tuid,
};
use common::server::{TestServer, tls_options_with_certificate};

/// Every mailbox alice sees on the test server.
const ALICE_MAILBOXES: [&str; 7] = [
    "INBOX",
    "Drafts",
    "Junk",
    "Sent",
    "Shared",
    "Shared/Projects",
    "Trash",
];

fn alice(server: &TestServer) -> Target {
    Target::new(server.address, "alice", "alice", &ALICE_MAILBOXES)
}

/// The contents of a folder, in arrival order (`owner` `None` for a shared folder).
fn contents(server: &TestServer, owner: Option<&str>, folder: &str) -> Vec<String> {
    server
        .repository
        .node_ids(owner, folder)
        .iter()
        .map(|id| {
            let bytes = server.repository.content_of(id).expect("content");
            String::from_utf8(bytes.to_vec()).expect("UTF-8")
        })
        .collect()
}

/// A message with the headers mail programs show.
fn full_message(n: u32, subject: &str) -> String {
    format!(
        "From: Carol <carol@example.com>\r\n\
         To: Alice <alice@example.com>\r\n\
         Subject: {subject}\r\n\
         Date: Mon, 23 Nov 2026 09:0{n}:00 +0000\r\n\
         Message-ID: <{n}.clients@example.com>\r\n\
         \r\n\
         Body of message {n}.\r\n"
    )
}

// ---------------------------------------------------------------------------------------
// Python imaplib

#[tokio::test]
async fn python_imaplib_session() {
    if !python_available("python_imaplib_session") {
        return;
    }
    let server = TestServer::start().await;
    let earlier = message("already there");
    server.deliver("INBOX", &earlier);
    let plan = ImaplibPlan {
        copy_to: "Shared/Projects".into(),
        move_to: "Drafts".into(),
        idle_subject: "Delivered while idling".into(),
    };
    let delivered = message(&plan.idle_subject);
    let result = imaplib_session(&alice(&server), &plan, async {
        server.deliver("INBOX", &delivered);
        server.announce("alice", "INBOX").await;
    })
    .await;

    assert_eq!(result.plain.uid, 2);
    assert_eq!(result.expunged.uid, 4);
    assert_eq!(
        contents(&server, Some("alice"), "INBOX"),
        [earlier, result.plain.text.clone(), delivered]
    );
    assert_eq!(
        contents(&server, None, "Shared/Projects"),
        [result.copied.text.as_str()]
    );
    assert_eq!(result.copied.text, result.plain.text);
    assert_eq!(
        contents(&server, Some("alice"), "Drafts"),
        [result.moved.text.as_str()]
    );
    for folder in ALICE_MAILBOXES {
        let owner = (!folder.starts_with("Shared")).then_some("alice");
        assert!(
            !contents(&server, owner, folder).contains(&result.expunged.text),
            "the expunged message is still in {folder}"
        );
    }
    // The UIDs the script was given are the ones the server keeps.
    let mut c = server.alice().await;
    c.command("s EXAMINE Drafts").await;
    assert_eq!(
        c.command("f UID FETCH 1:* (UID)").await,
        format!(
            "* 1 FETCH (UID {})\r\nf OK FETCH completed\r\n",
            result.moved.uid
        )
    );
}

// ---------------------------------------------------------------------------------------
// curl

#[tokio::test]
async fn curl_lists_fetches_and_appends() {
    if !curl_available("curl_lists_fetches_and_appends") {
        return;
    }
    let server = TestServer::start().await;
    let first = full_message(1, "First");
    let multipart = "Subject: Parts\r\n\
                     MIME-Version: 1.0\r\n\
                     Content-Type: multipart/mixed; boundary=\"b\"\r\n\
                     \r\n\
                     --b\r\n\
                     Content-Type: text/plain\r\n\
                     \r\n\
                     part one\r\n\
                     --b\r\n\
                     Content-Type: text/html\r\n\
                     \r\n\
                     <p>part two</p>\r\n\
                     --b--\r\n";
    server.deliver("INBOX", &first);
    server.deliver("INBOX", multipart);
    server
        .repository
        .deliver(None, "Shared/Projects", message("shared").as_bytes());
    let target = alice(&server);
    let curl = Curl::new(&target);

    assert_eq!(
        String::from_utf8(curl.get("", &[]).await).unwrap(),
        "* LIST (\\HasNoChildren) \"/\" INBOX\r\n\
         * LIST (\\HasNoChildren \\Drafts) \"/\" Drafts\r\n\
         * LIST (\\HasNoChildren \\Junk) \"/\" Junk\r\n\
         * LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\n\
         * LIST (\\HasChildren) \"/\" Shared\r\n\
         * LIST (\\HasNoChildren) \"/\" Shared/Projects\r\n\
         * LIST (\\HasNoChildren \\Trash) \"/\" Trash\r\n"
    );
    assert_eq!(
        String::from_utf8(curl.get("INBOX;UID=1", &[]).await).unwrap(),
        first
    );
    assert_eq!(
        String::from_utf8(curl.get("INBOX;UID=1;SECTION=HEADER", &[]).await).unwrap(),
        first[..first.find("\r\n\r\n").unwrap() + 4]
    );
    assert_eq!(
        String::from_utf8(curl.get("INBOX;UID=2;SECTION=1", &[]).await).unwrap(),
        "part one"
    );
    assert_eq!(
        String::from_utf8(curl.get("INBOX;UID=2;SECTION=2.MIME", &[]).await).unwrap(),
        "Content-Type: text/html\r\n\r\n"
    );
    assert_eq!(
        String::from_utf8(curl.get("Shared/Projects;UID=1;SECTION=TEXT", &[]).await).unwrap(),
        "body of shared\r\n"
    );
    // A wrong UIDVALIDITY in the URL is refused by curl itself (it checks the SELECT answer).
    let stale = curl.run("INBOX;UIDVALIDITY=1;UID=1", &[]).await;
    assert!(!stale.status.success() && stale.stdout.is_empty());

    // Search and a custom command print the server's untagged answers.
    assert_eq!(
        String::from_utf8(curl.get("INBOX?SUBJECT%20parts", &[]).await).unwrap(),
        "* SEARCH 2\r\n"
    );
    assert_eq!(
        String::from_utf8(
            curl.get("", &["--request", "STATUS INBOX (MESSAGES UIDNEXT)"])
                .await
        )
        .unwrap(),
        "* STATUS INBOX (MESSAGES 2 UIDNEXT 3)\r\n"
    );

    let appended = full_message(3, "Uploaded by curl");
    curl.append("INBOX", appended.as_bytes()).await;
    assert_eq!(
        contents(&server, Some("alice"), "INBOX"),
        [first.clone(), multipart.to_owned(), appended.clone()]
    );
    assert_eq!(
        String::from_utf8(curl.get("INBOX;UID=3", &[]).await).unwrap(),
        appended
    );
    // curl marks what it uploads and what it fetched (BODY[], not BODY.PEEK[]) as seen.
    let mut c = server.alice().await;
    c.command("s EXAMINE INBOX").await;
    assert_eq!(
        c.command("f FETCH 1:* (UID FLAGS)").await,
        "* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n\
         * 2 FETCH (UID 2 FLAGS (\\Seen))\r\n\
         * 3 FETCH (UID 3 FLAGS (\\Seen))\r\n\
         f OK FETCH completed\r\n"
    );
}

/// curl over STARTTLS and IMAPS, verifying the server's certificate, against a server that
/// refuses credentials in clear text.
#[tokio::test]
async fn curl_over_starttls_and_imaps() {
    if !curl_available("curl_over_starttls_and_imaps") {
        return;
    }
    let (options, _, certificate) = tls_options_with_certificate(true);
    let server = TestServer::with(options).await;
    let first = full_message(1, "Over TLS");
    server.deliver("INBOX", &first);
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("server.pem");
    std::fs::write(&ca, certificate).unwrap();
    let ca = ca.to_string_lossy().into_owned();
    // The certificate names `localhost`; curl is told it is 127.0.0.1 (no other lookup).
    let tls_port = server.tls_address.unwrap().port();
    let plain = format!("localhost:{}:127.0.0.1", server.address.port());
    let implicit = format!("localhost:{tls_port}:127.0.0.1");
    let mut target = alice(&server);
    target.host = "localhost".into();
    let curl = Curl::new(&target);
    let tls = ["--resolve", &plain, "--resolve", &implicit, "--cacert", &ca];

    // Without TLS, curl finds no way to log in (LOGINDISABLED, no AUTH=) and gives up with
    // its "login denied" status.
    let clear = curl.run("INBOX;UID=1", &tls).await;
    assert_eq!(clear.status.code(), Some(67));
    assert!(clear.stdout.is_empty());
    let starttls = [&tls[..], &["--ssl-reqd"]].concat();
    assert_eq!(
        String::from_utf8(curl.get("INBOX;UID=1", &starttls).await).unwrap(),
        first
    );
    let imaps = curl
        .run_url(&format!("imaps://localhost:{tls_port}/INBOX;UID=1"), &tls)
        .await;
    assert!(
        imaps.status.success(),
        "{}",
        String::from_utf8_lossy(&imaps.stderr)
    );
    assert_eq!(String::from_utf8(imaps.stdout).unwrap(), first);
}

// ---------------------------------------------------------------------------------------
// mbsync

#[tokio::test]
async fn mbsync_mirrors_every_mailbox_both_ways() {
    if !mbsync_available("mbsync_mirrors_every_mailbox_both_ways") {
        return;
    }
    let server = TestServer::start().await;
    let one = full_message(1, "One");
    let two = full_message(2, "Two");
    let shared = full_message(3, "Shared");
    server.deliver("INBOX", &one);
    server.deliver("INBOX", &two);
    server
        .repository
        .deliver(None, "Shared/Projects", shared.as_bytes());
    let mut c = server.alice().await;
    c.command("a SELECT INBOX").await;
    c.command("b UID STORE 1 +FLAGS (\\Seen \\Answered)").await;
    // A name that reads as the nil value when it is not quoted.
    c.command("n CREATE NIL").await;

    let mut target = alice(&server);
    target.mailboxes.push("NIL".into());
    target.mailboxes.sort();
    let mbsync = Mbsync::new(&target);
    let first = mbsync.sync().await;
    assert_eq!(mbsync.mailboxes(), target.mailboxes, "{}", first.output);
    let inbox = mbsync.messages("INBOX");
    assert_eq!(
        inbox
            .iter()
            .map(|m| (m.uid, m.flags.as_str(), without_tuid(&m.bytes)))
            .collect::<Vec<_>>(),
        [(Some(1), "RS", lf(&one)), (Some(2), "", lf(&two))]
    );
    let projects = mbsync.messages("Shared/Projects");
    assert_eq!(projects.len(), 1);
    assert_eq!(without_tuid(&projects[0].bytes), lf(&shared));
    for empty in ["Drafts", "Junk", "NIL", "Sent", "Shared", "Trash"] {
        assert_eq!(mbsync.messages(empty), [], "{empty}");
    }

    // A second run transfers nothing and changes nothing.
    let second = mbsync.sync().await;
    assert_eq!(
        second.transfers(),
        Vec::<String>::new(),
        "{}",
        second.output
    );
    assert_eq!(mbsync.messages("INBOX"), inbox);

    // Server → Maildir: a flag, a new message, a move.
    c.command("c UID STORE 2 +FLAGS (\\Flagged)").await;
    let three = full_message(4, "Three");
    server.deliver("INBOX", &three);
    c.command("d UID MOVE 1 Junk").await;
    let run = mbsync.sync().await;
    assert_eq!(
        run.transfers(),
        ["UID FETCH 3 (BODY.PEEK[])", "UID FETCH 1 (BODY.PEEK[])"],
        "{}",
        run.output
    );
    let inbox = mbsync.messages("INBOX");
    assert_eq!(
        inbox
            .iter()
            .map(|m| (m.uid, m.flags.as_str(), without_tuid(&m.bytes)))
            .collect::<Vec<_>>(),
        [(Some(2), "F", lf(&two)), (Some(3), "", lf(&three))]
    );
    let junk = mbsync.messages("Junk");
    assert_eq!(
        junk.iter()
            .map(|m| (m.uid, m.flags.as_str(), without_tuid(&m.bytes)))
            .collect::<Vec<_>>(),
        [(Some(1), "RS", lf(&one))]
    );

    // Maildir → server: a flag, a deletion, a new message, a move.
    c.command("e SELECT INBOX").await;
    let seen = &inbox[0].path;
    std::fs::rename(seen, format!("{}S", seen.display())).unwrap();
    std::fs::remove_file(&inbox[1].path).unwrap();
    let local = "Subject: Written locally\n\nNot on the server yet.\n";
    mbsync.add_local("Sent", "1.local.host", local.as_bytes());
    let moved = &mbsync.messages("Shared/Projects")[0].path;
    std::fs::rename(moved, mbsync.maildir("Trash").join("cur/2.local.host:2,S")).unwrap();
    let run = mbsync.sync().await;
    assert_eq!(
        run.transfers(),
        [
            "UID STORE 2 +FLAGS.SILENT (\\Seen)",
            "UID STORE 3 +FLAGS.SILENT (\\Deleted)",
            "CHECK",
            "APPEND \"Sent\" {…}",
            "UID STORE 1 +FLAGS.SILENT (\\Deleted)",
            "CHECK",
            "APPEND \"Trash\" (\\Seen) {…}",
        ],
        "{}",
        run.output
    );
    // The session that has INBOX selected sees the flag and the EXPUNGE.
    assert_eq!(
        c.command("f NOOP").await,
        "* 2 EXPUNGE\r\n* 1 FETCH (FLAGS (\\Flagged \\Seen))\r\nf OK NOOP completed\r\n"
    );
    assert_eq!(contents(&server, Some("alice"), "INBOX"), [two.as_str()]);
    assert_eq!(
        contents(&server, None, "Shared/Projects"),
        Vec::<String>::new()
    );
    let trash = contents(&server, Some("alice"), "Trash");
    assert_eq!(trash.len(), 1);
    assert_eq!(without_tuid(trash[0].as_bytes()), shared.as_bytes());
    let sent = contents(&server, Some("alice"), "Sent");
    assert_eq!(sent.len(), 1);
    assert_eq!(
        without_tuid(sent[0].as_bytes()),
        local.replace('\n', "\r\n").into_bytes()
    );

    // And once more: nothing left to do.
    let last = mbsync.sync().await;
    assert_eq!(last.transfers(), Vec::<String>::new(), "{}", last.output);
}
