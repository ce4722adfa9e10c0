//! Body templates of generated messages taken from the repository (emulator over HTTP, demo
//! seed): a template in `Data Dictionary/Imap Configs/Templates` overrides the project's own,
//! its `_de` sibling wins when the server locale is German, a template that cannot be used
//! falls back to the next candidate, and after an edit new messages use the new text while old
//! UIDs keep their bytes until `state renumber`.

mod common;

use std::time::Duration;

use alfresco_imap::mailbox::alfresco::renumber_generated_messages;
use base64::Engine as _;
use common::alfresco::{AlfrescoServer, literal, options, select, settings, tagged};

const DOCLIB: &str = "Sites/marketing/documentLibrary";
const DOCLIB_MAILBOX: &str = "Alfresco IMAP/Sites/marketing/documentLibrary";
const TEMPLATES: &str = "Data Dictionary/Imap Configs/Templates";
const SHARE_TEXT: &str = "emailbody_textplain_share.ftl";
const SHARE_TEXT_DE: &str = "emailbody_textplain_share_de.ftl";

/// A server whose generated messages use `locale`, looking at the templates folder on every
/// listing.
async fn server(locale: &str) -> AlfrescoServer {
    let mut settings = settings();
    settings.locale = locale.into();
    settings.folder_ttl = Duration::ZERO;
    AlfrescoServer::with(settings, options()).await
}

/// Puts a template file into the repository's templates folder (as the administrator).
fn put_template(server: &AlfrescoServer, name: &str, text: &str) -> String {
    let folder = server.id(TEMPLATES);
    server
        .emulator
        .create_file(&folder, name, text.as_bytes().to_vec(), "admin")
        .expect("template")
}

/// The decoded plain-text body (part 1, base64) of message `n` of the selected mailbox, with
/// its CRLF line ends (canonical form) read as LF.
async fn plain_text(c: &mut common::client::RawClient, n: u32) -> String {
    let answer = c.command(&format!("t FETCH {n} BODY.PEEK[1]")).await;
    assert_eq!(tagged(&answer), "t OK FETCH completed", "{answer}");
    let encoded: Vec<u8> = literal(&answer)
        .into_iter()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .expect("base64");
    let text = String::from_utf8(bytes).expect("UTF-8");
    assert!(
        !text.replace("\r\n", "").contains('\n'),
        "CRLF only: {text:?}"
    );
    text.replace("\r\n", "\n")
}

/// The whole message `n`.
async fn whole(c: &mut common::client::RawClient, n: u32) -> Vec<u8> {
    let answer = c.command(&format!("w FETCH {n} BODY.PEEK[]")).await;
    assert_eq!(tagged(&answer), "w OK FETCH completed", "{answer}");
    literal(&answer)
}

/// The name of the library's oldest top-level document (message 1).
fn first_document(server: &AlfrescoServer) -> String {
    let doclib = server.id(DOCLIB);
    server.emulator.with_repository(|r| {
        let mut files: Vec<_> = r
            .node(&doclib)
            .expect("library")
            .children
            .iter()
            .filter_map(|c| r.live(c))
            .filter(|n| n.is_file())
            .map(|n| (n.created_at, n.name.clone()))
            .collect();
        files.sort();
        files.remove(0).1
    })
}

#[tokio::test]
async fn a_repository_template_overrides_ours() {
    let server = server("en").await;
    put_template(&server, SHARE_TEXT, "Repository: ${document.name}\n");
    put_template(&server, SHARE_TEXT_DE, "Deutsch: ${document.name}\n");
    let name = first_document(&server);
    let mut c = server.login("alice").await;
    select(&mut c, DOCLIB_MAILBOX).await;
    assert_eq!(plain_text(&mut c, 1).await, format!("Repository: {name}\n"));
    server.check_contract("a_repository_template_overrides_ours");
}

#[tokio::test]
async fn the_de_sibling_wins_when_the_server_locale_is_german() {
    let server = server("de_DE").await;
    put_template(&server, SHARE_TEXT, "Repository: ${document.name}\n");
    put_template(&server, SHARE_TEXT_DE, "Deutsch: ${document.name}\n");
    let name = first_document(&server);
    let mut c = server.login("alice").await;
    select(&mut c, DOCLIB_MAILBOX).await;
    assert_eq!(plain_text(&mut c, 1).await, format!("Deutsch: {name}\n"));
}

#[tokio::test]
async fn a_template_that_cannot_be_used_falls_back_to_the_next() {
    let server = server("de").await;
    // Does not parse (an unsupported built-in): left out, the plain name is next.
    put_template(
        &server,
        SHARE_TEXT_DE,
        "Kaputt: ${document.name?no_such_builtin}\n",
    );
    // Parses, but fails on this data: skipped at render time, ours is next.
    put_template(
        &server,
        SHARE_TEXT,
        "Missing: ${document.properties.nothing_here}\n",
    );
    let name = first_document(&server);
    let mut c = server.login("alice").await;
    select(&mut c, DOCLIB_MAILBOX).await;
    let text = plain_text(&mut c, 1).await;
    assert!(text.starts_with(&format!("{name}\n")), "{text}");
    assert!(text.contains("\n  Site       marketing\n"), "{text}");
    assert!(
        !text.contains("Kaputt") && !text.contains("Missing"),
        "{text}"
    );
}

#[tokio::test]
async fn an_edited_template_applies_to_new_messages_and_after_renumbering() {
    let server = server("de").await;
    let template = put_template(&server, SHARE_TEXT_DE, "Alt: ${document.name}\n");
    let name = first_document(&server);
    let mut c = server.login("alice").await;
    let opened = select(&mut c, DOCLIB_MAILBOX).await;
    assert!(opened.contains("* 4 EXISTS\r\n"), "{opened}");
    assert!(opened.contains("[UIDNEXT 5]"), "{opened}");
    assert_eq!(plain_text(&mut c, 1).await, format!("Alt: {name}\n"));
    let before = whole(&mut c, 1).await;

    // The administrator edits the template.
    server
        .emulator
        .set_content(&template, b"Neu: ${document.name}\n".to_vec(), "admin")
        .expect("edit");
    // A new document gets the new text; the old UID keeps its bytes, in this session and in
    // a new one.
    let doclib = server.id(DOCLIB);
    server
        .emulator
        .create_file(&doclib, "Agenda.txt", b"agenda".to_vec(), "alice")
        .expect("file");
    let noop = c.command("n NOOP").await;
    assert!(noop.starts_with("* 5 EXISTS\r\n"), "{noop}");
    assert_eq!(plain_text(&mut c, 5).await, "Neu: Agenda.txt\n");
    assert_eq!(whole(&mut c, 1).await, before);
    let mut other = server.login("alice").await;
    select(&mut other, DOCLIB_MAILBOX).await;
    assert_eq!(whole(&mut other, 1).await, before);
    assert_eq!(
        other.command("f FETCH 1:* (UID)").await,
        "* 1 FETCH (UID 1)\r\n* 2 FETCH (UID 2)\r\n* 3 FETCH (UID 3)\r\n* 4 FETCH (UID 4)\r\n\
         * 5 FETCH (UID 5)\r\nf OK FETCH completed\r\n"
    );

    // `state renumber --mailbox …`: every generated message's UID goes (renumbering holds
    // UIDs 6 to 10 until the next listing), and the documents come back with new UIDs and the
    // new text.
    let report = renumber_generated_messages(&*server.store, Some(DOCLIB_MAILBOX))
        .await
        .expect("renumber");
    assert_eq!((report.mailboxes, report.messages), (1, 5));
    let mut after = server.login("alice").await;
    let opened = select(&mut after, DOCLIB_MAILBOX).await;
    assert!(opened.contains("* 5 EXISTS\r\n"), "{opened}");
    assert!(opened.contains("[UIDNEXT 16]"), "{opened}");
    assert_eq!(
        after.command("f FETCH 1:* (UID)").await,
        "* 1 FETCH (UID 11)\r\n* 2 FETCH (UID 12)\r\n* 3 FETCH (UID 13)\r\n* 4 FETCH (UID 14)\r\n\
         * 5 FETCH (UID 15)\r\nf OK FETCH completed\r\n"
    );
    assert_eq!(plain_text(&mut after, 1).await, format!("Neu: {name}\n"));
    // The session that stayed open is told about the expunges.
    let noop = c.command("n NOOP").await;
    assert!(noop.contains("* 1 EXPUNGE\r\n"), "{noop}");
}
