//! The product end to end (demo seed over HTTP): what changes the repository through messages.
//! APPEND (stored bytes and properties, APPENDUID, delayed extraction, rejected and lost
//! uploads), round trips of generated messages (MNT-12259, MNT-12420), attachment extraction,
//! COPY and MOVE with the mode rules, Trash as the trashcan, EXPUNGE. Every test checks the IMAP
//! answer and the repository state afterwards, and the REST exchanges against the definitions.

mod common;

use std::time::Duration;

use alfresco_imap::config::{AttachmentsMode, ViewMode};
use alfresco_imap::emulator::repo::node::{ContentData, Node};
use alfresco_imap::emulator::{Ace, Fault};
use alfresco_imap::mailbox::alfresco::settings::MountSettings;

use common::alfresco::*;

const DOCLIB: &str = "Sites/marketing/documentLibrary";
const DOCLIB_MAILBOX: &str = "Alfresco IMAP/Sites/marketing/documentLibrary";

fn bytes_of(node: &Node) -> Vec<u8> {
    match &node.content.as_ref().expect("content").data {
        ContentData::Bytes(bytes) => bytes.to_vec(),
        ContentData::Pattern { .. } => panic!("pattern content"),
    }
}

fn text(node: &Node, property: &str) -> Option<String> {
    node.props.get(property).map(|v| match v.to_json() {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    })
}

/// The names of the folder's children that were not there `before`.
fn added(server: &AlfrescoServer, path: &str, before: &[String]) -> Vec<String> {
    server
        .names(path)
        .into_iter()
        .filter(|n| !before.contains(n))
        .collect()
}

fn is_message_name(name: &str) -> bool {
    name.strip_prefix("Message_")
        .and_then(|n| n.strip_suffix(".eml"))
        .is_some_and(|uuid| uuid::Uuid::parse_str(uuid).is_ok())
}

fn trashcan(server: &AlfrescoServer, user: &str) -> Vec<String> {
    server.emulator.with_repository(|r| {
        let actor = r.actor(user);
        r.deleted_nodes(&actor)
            .iter()
            .map(|n| n.name.clone())
            .collect()
    })
}

// ---------------------------------------------------------------------------------------
// APPEND

#[tokio::test]
async fn append_stores_the_message_exactly_as_sent() {
    let server = AlfrescoServer::start().await;
    let mut c = server.login("alice").await;
    let validity = uid_validity(&select(&mut c, "INBOX").await);
    let before = server.names("Imap Home/alice/INBOX");
    let email = sample_email(
        "=?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_M=C3=BCnchen?=",
        "gruesse-2026@example.de",
    );
    let mut command = format!(
        "a APPEND INBOX (\\Flagged) \"14-Mar-2026 12:30:00 +0100\" {{{}+}}\r\n",
        email.len()
    )
    .into_bytes();
    command.extend_from_slice(&email);
    command.extend_from_slice(b"\r\n");
    c.send(&command).await;
    let answer = c.read_tagged("a").await;
    assert_eq!(
        tagged(&answer),
        format!("a OK [APPENDUID {validity} 7] APPEND completed")
    );
    let new = added(&server, "Imap Home/alice/INBOX", &before);
    assert_eq!(new.len(), 1);
    assert!(is_message_name(&new[0]), "{new:?}");
    let id = server.id(&format!("Imap Home/alice/INBOX/{}", new[0]));
    let node = server.emulator.node(&id).expect("node");
    assert_eq!(node.node_type, "cm:content");
    assert_eq!(bytes_of(&node), email, "8-bit clean, byte for byte");
    assert_eq!(node.content.as_ref().unwrap().mimetype, "message/rfc822");
    assert!(node.aspects.contains("imap:imapContent"));
    assert!(!node.aspects.contains("cm:versionable"), "unversioned");
    assert!(!node.props.contains_key("cm:versionLabel"));
    for (property, value) in [
        ("imap:messageSubject", "Grüße aus München"),
        ("cm:title", "Grüße aus München"),
        ("imap:messageFrom", "Jörg Müller <joerg@example.de>"),
        ("cm:originator", "Jörg Müller <joerg@example.de>"),
        ("imap:messageTo", "Alice Adams <alice@example.com>"),
        ("imap:messageCc", "Bob Baker <bob@example.com>"),
        ("imap:messageId", "<gruesse-2026@example.de>"),
        ("imap:threadIndex", "AQHXabcdefghijk=="),
        ("imap:dateSent", "2026-03-10T09:00:00.000+0000"),
        ("imap:dateReceived", "2026-03-14T11:30:00.000+0000"),
    ] {
        assert_eq!(text(&node, property).as_deref(), Some(value), "{property}");
    }
    let modified = node.modified_at;

    // The repository's own metadata extraction follows and bumps `modifiedAt` when it fills
    // a property (one is left empty here so that it does); nothing changes for the client.
    server
        .emulator
        .set_property(&id, "cm:description", serde_json::Value::Null, "alice")
        .expect("property");
    server
        .wait_until("metadata extraction ran", |e| {
            e.node(&id)
                .is_some_and(|n| n.modified_at > modified && n.props.contains_key("cm:description"))
        })
        .await;
    let noop = c.command("n NOOP").await;
    assert!(!noop.contains("EXPUNGE"), "{noop}");
    assert!(
        answer.contains("* 7 EXISTS\r\n") != noop.contains("* 7 EXISTS\r\n"),
        "the new message is announced once: {answer}{noop}"
    );
    assert_eq!(
        c.command("f UID FETCH 7 (UID FLAGS INTERNALDATE)").await,
        "* 7 FETCH (UID 7 FLAGS (\\Flagged \\Recent) INTERNALDATE \"14-Mar-2026 11:30:00 +0000\")\r\n\
         f OK FETCH completed\r\n"
    );
    let mut again = server.login("alice").await;
    let opened = select(&mut again, "INBOX").await;
    assert_eq!(exists(&opened), 7);
    assert_eq!(uid_validity(&opened), validity);
    assert!(opened.contains("[UIDNEXT 8]"), "{opened}");
    let body = again.command("f UID FETCH 7 BODY.PEEK[]").await;
    assert_eq!(literal(&body), email);
    server.check_contract("append_stores_the_message_exactly_as_sent");
}

#[tokio::test]
async fn an_append_the_repository_rejects_answers_no_and_leaves_nothing() {
    let server = AlfrescoServer::start().await;
    let mut c = server.login("alice").await;
    let before = server.names("Imap Home/alice/INBOX");
    let email = sample_email("Rejected", "rejected@example.com");
    for (status, answer) in [
        (507, "a NO [OVERQUOTA] quota exceeded"),
        (413, "a NO [TOOBIG] message too large"),
        (403, "a NO [NOPERM] "),
        (
            500,
            "a NO [UNAVAILABLE] The repository is unavailable, try again later",
        ),
        (
            503,
            "a NO [UNAVAILABLE] The repository is unavailable, try again later",
        ),
    ] {
        let fault = server
            .emulator
            .add_fault(Fault::status(Some("POST"), "/children", status));
        let got = append(&mut c, "a", "INBOX", "", &email).await;
        server.emulator.remove_fault(fault);
        assert!(got.starts_with(answer), "{status}: {got}");
        assert_eq!(server.names("Imap Home/alice/INBOX"), before, "{status}");
    }
    assert!(trashcan(&server, "alice").is_empty());

    // A Consumer may not store anything in the site.
    let mut bob = server.login("bob").await;
    let doclib = server.names(DOCLIB);
    assert_eq!(
        append(&mut bob, "b", DOCLIB_MAILBOX, "", &email).await,
        "b NO [NOPERM] You may not store messages in this mailbox\r\n"
    );
    assert_eq!(server.names(DOCLIB), doclib);
    assert_eq!(exists(&select(&mut c, "INBOX").await), 6);
    server.check_contract("an_append_the_repository_rejects_answers_no_and_leaves_nothing");
}

#[tokio::test]
async fn after_a_lost_answer_the_chosen_name_decides() {
    let server = AlfrescoServer::with_rest(settings(), options(), |rest| {
        rest.request_timeout = Duration::from_millis(200);
        rest.transfer_timeout = Duration::from_millis(200);
    })
    .await;
    let mut c = server.login("alice").await;
    let validity = uid_validity(&select(&mut c, "INBOX").await);
    let before = server.names("Imap Home/alice/INBOX");

    // Stored, but the answer is a 500.
    server.emulator.add_fault(
        Fault::status(Some("POST"), "/children", 500)
            .after_handling()
            .times(1),
    );
    let answer = append(&mut c, "a", "INBOX", "", &sample_email("Lost", "lost@x")).await;
    assert_eq!(
        tagged(&answer),
        format!("a OK [APPENDUID {validity} 7] APPEND completed")
    );
    assert_eq!(
        added(&server, "Imap Home/alice/INBOX", &before).len(),
        1,
        "no duplicate"
    );

    // Stored, but the answer comes too late.
    server.emulator.add_fault(
        Fault::delay(Some("POST"), "/children", Duration::from_millis(300))
            .after_handling()
            .times(1),
    );
    let answer = append(&mut c, "b", "INBOX", "", &sample_email("Late", "late@x")).await;
    assert_eq!(
        tagged(&answer),
        format!("b OK [APPENDUID {validity} 8] APPEND completed")
    );
    assert_eq!(
        added(&server, "Imap Home/alice/INBOX", &before).len(),
        2,
        "no duplicate"
    );

    // Not stored at all: no leftover.
    server
        .emulator
        .add_fault(Fault::status(Some("POST"), "/children", 502).times(1));
    let answer = append(&mut c, "c", "INBOX", "", &sample_email("Never", "never@x")).await;
    assert!(answer.starts_with("c NO [UNAVAILABLE] "), "{answer}");
    assert_eq!(
        added(&server, "Imap Home/alice/INBOX", &before).len(),
        2,
        "no leftover"
    );
    assert_eq!(exists(&select(&mut c, "INBOX").await), 8);
}

// ---------------------------------------------------------------------------------------
// Round trips of generated messages

/// Alice's generated message of the first document in the marketing library, and its node id.
async fn generated(c: &mut common::client::RawClient) -> (Vec<u8>, String) {
    select(c, DOCLIB_MAILBOX).await;
    let message = literal(&c.command("f FETCH 1 BODY.PEEK[]").await);
    let id = header(&message, "X-Alfresco-NodeRef-ID").expect("node id");
    (message, id)
}

#[tokio::test]
async fn a_generated_message_appended_back_copies_the_document() {
    let server = AlfrescoServer::start().await;
    let mut c = server.login("alice").await;
    let (message, id) = generated(&mut c).await;
    let original = server.emulator.node(&id).expect("document");
    let answer = append(&mut c, "a", "Alfresco IMAP/Shared", "", &message).await;
    assert!(tagged(&answer).starts_with("a OK [APPENDUID "), "{answer}");
    assert!(
        tagged(&answer).ends_with(" 1] APPEND completed"),
        "{answer}"
    );
    assert_eq!(server.names("Shared"), std::slice::from_ref(&original.name));
    let copy = server
        .emulator
        .node(&server.id(&format!("Shared/{}", original.name)))
        .expect("copy");
    assert_ne!(copy.id, original.id);
    assert!(
        !copy.aspects.contains("imap:imapContent"),
        "a document, not an e-mail"
    );
    assert_eq!(bytes_of(&copy), bytes_of(&original));
    assert_eq!(text(&copy, "cm:title"), text(&original, "cm:title"));
    assert_eq!(
        server.emulator.node(&id).expect("original").parent,
        original.parent
    );
    select(&mut c, "Alfresco IMAP/Shared").await;
    let shown = literal(&c.command("f UID FETCH 1 BODY.PEEK[HEADER]").await);
    assert_eq!(
        header(&shown, "X-Alfresco-NodeRef-ID"),
        Some(copy.id.clone())
    );

    // Into the private home it is an e-mail like any other.
    let before = server.names("Imap Home/alice/INBOX");
    let answer = append(&mut c, "b", "INBOX", "", &message).await;
    assert!(tagged(&answer).starts_with("b OK [APPENDUID "), "{answer}");
    let new = added(&server, "Imap Home/alice/INBOX", &before);
    assert!(is_message_name(&new[0]), "{new:?}");
    let stored = server
        .emulator
        .node(&server.id(&format!("Imap Home/alice/INBOX/{}", new[0])))
        .expect("e-mail");
    assert_eq!(bytes_of(&stored), message);

    // A node the user cannot read is not copied: the message is stored as it is.
    let mut bob = server.login("bob").await;
    select(&mut bob, "Alfresco IMAP/Sites/engineering/documentLibrary").await;
    let secret = literal(&bob.command("f FETCH 1 BODY.PEEK[]").await);
    let answer = append(&mut c, "c", "Alfresco IMAP/Shared", "", &secret).await;
    assert!(tagged(&answer).starts_with("c OK [APPENDUID "), "{answer}");
    let names = server.names("Shared");
    assert_eq!(names.len(), 2);
    assert!(is_message_name(&names[1]), "{names:?}");
    server.check_contract("a_generated_message_appended_back_copies_the_document");
}

#[tokio::test]
async fn expunge_then_append_restores_the_document_keeping_its_id() {
    // MNT-12259: a client that moves by deleting the source first.
    let server = AlfrescoServer::start().await;
    let mut c = server.login("alice").await;
    let (message, id) = generated(&mut c).await;
    let name = server.emulator.node(&id).expect("document").name;
    c.command("s STORE 1 +FLAGS.SILENT (\\Deleted)").await;
    assert_eq!(
        c.command("e EXPUNGE").await,
        "* 1 EXPUNGE\r\ne OK EXPUNGE completed\r\n"
    );
    assert!(
        server
            .emulator
            .node(&id)
            .expect("in the trashcan")
            .archived
            .is_some()
    );
    let answer = append(&mut c, "a", "Alfresco IMAP/Shared", "", &message).await;
    assert!(tagged(&answer).starts_with("a OK [APPENDUID "), "{answer}");
    let node = server.emulator.node(&id).expect("restored");
    assert!(node.archived.is_none() && !node.in_trash);
    assert_eq!(node.parent.as_deref(), Some(server.id("Shared").as_str()));
    assert_eq!(server.names("Shared"), std::slice::from_ref(&name));
    assert!(!server.names(DOCLIB).contains(&name));
    select(&mut c, "Alfresco IMAP/Shared").await;
    let shown = literal(&c.command("f FETCH 1 BODY.PEEK[HEADER]").await);
    assert_eq!(header(&shown, "X-Alfresco-NodeRef-ID"), Some(id));
    server.check_contract("expunge_then_append_restores_the_document_keeping_its_id");
}

#[tokio::test]
async fn append_then_expunge_leaves_a_full_copy() {
    // MNT-12420: a client that moves by appending to the target first.
    let server = AlfrescoServer::start().await;
    let mut c = server.login("alice").await;
    let (message, id) = generated(&mut c).await;
    let original = server.emulator.node(&id).expect("document");
    let answer = append(&mut c, "a", "Alfresco IMAP/Shared", "", &message).await;
    assert!(tagged(&answer).starts_with("a OK [APPENDUID "), "{answer}");
    c.command("s STORE 1 +FLAGS.SILENT (\\Deleted)").await;
    assert_eq!(
        c.command("e EXPUNGE").await,
        "* 1 EXPUNGE\r\ne OK EXPUNGE completed\r\n"
    );
    assert!(
        server
            .emulator
            .node(&id)
            .expect("in the trashcan")
            .archived
            .is_some()
    );
    let copy = server
        .emulator
        .node(&server.id(&format!("Shared/{}", original.name)))
        .expect("copy");
    assert_eq!(bytes_of(&copy), bytes_of(&original));
    for property in ["cm:title", "cm:description", "cm:author"] {
        assert_eq!(
            text(&copy, property),
            text(&original, property),
            "{property}"
        );
    }
    assert_eq!(
        copy.content.as_ref().unwrap().mimetype,
        original.content.as_ref().unwrap().mimetype
    );
    server.check_contract("append_then_expunge_leaves_a_full_copy");
}

// ---------------------------------------------------------------------------------------
// Attachment extraction

/// A message with two attachments of the same name, an inline part and a nested attachment.
fn with_attachments() -> Vec<u8> {
    b"From: Carol <carol@example.com>\r\nTo: alice@example.com\r\nSubject: Reports\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=outer\r\n\r\n\
--outer\r\nContent-Type: text/plain\r\n\r\nTwo reports attached.\r\n\
--outer\r\nContent-Type: application/pdf; name=report.pdf\r\n\
Content-Disposition: attachment; filename=report.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n\
JVBERi0xLjQgb25l\r\n\
--outer\r\nContent-Type: application/pdf; name=report.pdf\r\n\
Content-Disposition: attachment; filename=\"report.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
JVBERi0xLjQgdHdv\r\n\
--outer\r\nContent-Type: image/png; name=logo.png\r\nContent-Disposition: inline; filename=logo.png\r\n\r\n\
png\r\n\
--outer\r\nContent-Type: multipart/mixed; boundary=inner\r\n\r\n\
--inner\r\nContent-Type: text/plain; name=nested.txt\r\nContent-Disposition: attachment; filename=nested.txt\r\n\r\n\
nested\r\n--inner--\r\n\
--outer--\r\n"
        .to_vec()
}

fn targets(node: &Node, kind: &str) -> Vec<String> {
    node.targets
        .iter()
        .filter(|t| t.assoc_type == kind)
        .map(|t| t.target.clone())
        .collect()
}

/// APPENDs the message with attachments to `mailbox`; returns the stored e-mail node.
async fn append_with_attachments(server: &AlfrescoServer, mailbox: &str, path: &str) -> Node {
    let mut c = server.login("alice").await;
    let before = server.names(path);
    let answer = append(&mut c, "a", mailbox, "", &with_attachments()).await;
    assert!(tagged(&answer).starts_with("a OK [APPENDUID "), "{answer}");
    let name = added(server, path, &before)
        .into_iter()
        .find(|n| is_message_name(n))
        .expect("the e-mail");
    server
        .emulator
        .node(&server.id(&format!("{path}/{name}")))
        .expect("e-mail")
}

fn check_reports(server: &AlfrescoServer, folder: &str, message: &Node, names: [&str; 2]) {
    let mut ids = Vec::new();
    for (name, content) in names.iter().zip([&b"%PDF-1.4 one"[..], b"%PDF-1.4 two"]) {
        let id = server.id(&format!("{folder}/{name}"));
        let node = server.emulator.node(&id).expect("attachment");
        assert_eq!(bytes_of(&node), content, "{name}");
        assert_eq!(node.content.as_ref().unwrap().mimetype, "application/pdf");
        assert_eq!(text(&node, "cm:description"), Some(message.name.clone()));
        ids.push(id);
    }
    assert_eq!(targets(message, "imap:attachment"), ids);
}

#[tokio::test]
async fn attachments_go_to_a_folder_next_to_the_message() {
    let server = AlfrescoServer::start().await;
    let message = append_with_attachments(&server, "Alfresco IMAP/Shared", "Shared").await;
    let folder = format!("{}-attachments", message.name);
    assert_eq!(
        server.names("Shared"),
        [message.name.clone(), folder.clone()]
    );
    let folder_path = format!("Shared/{folder}");
    assert_eq!(server.names(&folder_path), ["report.pdf", "report (1).pdf"]);
    check_reports(
        &server,
        &folder_path,
        &message,
        ["report.pdf", "report (1).pdf"],
    );
    assert_eq!(
        targets(&message, "imap:attachmentsFolder"),
        [server.id(&folder_path)]
    );

    // A message without attachments gets no folder.
    let mut c = server.login("alice").await;
    append(
        &mut c,
        "b",
        "Alfresco IMAP/Shared",
        "",
        &sample_email("Plain", "p@x"),
    )
    .await;
    assert_eq!(server.names("Shared").len(), 3);
    server.check_contract("attachments_go_to_a_folder_next_to_the_message");
}

#[tokio::test]
async fn attachments_in_same_mode_stay_beside_the_message() {
    let mut settings = settings();
    settings.attachments.mode = AttachmentsMode::Same;
    let server = AlfrescoServer::with(settings, options()).await;
    let shared = server.id("Shared");
    server
        .emulator
        .create_file(&shared, "report.pdf", "%PDF-1.4 older", "alice")
        .expect("file");
    let message = append_with_attachments(&server, "Alfresco IMAP/Shared", "Shared").await;
    assert_eq!(
        server.names("Shared"),
        [
            "report.pdf".to_owned(),
            message.name.clone(),
            "report (1).pdf".into(),
            "report (2).pdf".into()
        ]
    );
    check_reports(
        &server,
        "Shared",
        &message,
        ["report (1).pdf", "report (2).pdf"],
    );
    assert_eq!(targets(&message, "imap:attachmentsFolder"), [shared]);
    server.check_contract("attachments_in_same_mode_stay_beside_the_message");
}

#[tokio::test]
async fn attachments_in_common_mode_go_to_the_common_folder() {
    let mut settings = settings();
    settings.attachments.mode = AttachmentsMode::Common;
    let server = AlfrescoServer::with(settings, options()).await;
    let common = server.id("Imap Attachments");
    // What an operator grants, as the built-in server did at startup.
    server
        .emulator
        .set_permissions(
            &common,
            true,
            vec![Ace::allow("GROUP_EVERYONE", "Collaborator")],
        )
        .expect("permissions");
    let message = append_with_attachments(&server, "INBOX", "Imap Home/alice/INBOX").await;
    assert_eq!(
        server.names("Imap Attachments"),
        ["report.pdf", "report (1).pdf"]
    );
    check_reports(
        &server,
        "Imap Attachments",
        &message,
        ["report.pdf", "report (1).pdf"],
    );
    assert_eq!(targets(&message, "imap:attachmentsFolder"), [common]);
    let inbox = server.names("Imap Home/alice/INBOX");
    assert!(inbox.iter().all(|n| is_message_name(n)), "{inbox:?}");
    server.check_contract("attachments_in_common_mode_go_to_the_common_folder");
}

#[tokio::test]
async fn attachments_are_not_extracted_where_switched_off() {
    let mut settings = settings();
    settings.attachments.ignored = vec![vec!["Shared".into(), "Ignored".into()]];
    let server = AlfrescoServer::with(settings, options()).await;
    let ignored = server
        .emulator
        .create_folder(&server.id("Shared"), "Ignored", "alice")
        .expect("folder");
    server
        .emulator
        .create_folder(&ignored, "Below", "alice")
        .expect("folder");
    let message =
        append_with_attachments(&server, "Alfresco IMAP/Shared/Ignored", "Shared/Ignored").await;
    assert_eq!(
        server.names("Shared/Ignored"),
        ["Below".to_owned(), message.name.clone()]
    );
    assert!(message.targets.is_empty());
    // Only that folder, not the ones below it (as in Alfresco).
    let below = append_with_attachments(
        &server,
        "Alfresco IMAP/Shared/Ignored/Below",
        "Shared/Ignored/Below",
    )
    .await;
    assert_eq!(server.names("Shared/Ignored/Below").len(), 2);
    assert_eq!(targets(&below, "imap:attachment").len(), 2);

    let mut settings = common::alfresco::settings();
    settings.attachments.enabled = false;
    let server = AlfrescoServer::with(settings, options()).await;
    let message = append_with_attachments(&server, "Alfresco IMAP/Shared", "Shared").await;
    assert_eq!(server.names("Shared"), std::slice::from_ref(&message.name));
    server.check_contract("attachments_are_not_extracted_where_switched_off");
}

// ---------------------------------------------------------------------------------------
// COPY and MOVE

fn with_docs_mount() -> alfresco_imap::mailbox::alfresco::BackendSettings {
    let mut settings = settings();
    settings.mounts.push(MountSettings {
        name: "Docs".into(),
        mode: ViewMode::Virtual,
        path: vec!["Shared".into()],
    });
    settings
}

#[tokio::test]
async fn copy_and_move_only_where_the_view_shows_the_result() {
    let server = AlfrescoServer::with(with_docs_mount(), options()).await;
    let mut c = server.login("alice").await;
    let doclib = server.names(DOCLIB);
    select(&mut c, DOCLIB_MAILBOX).await;
    let archive_only = "NO [CANNOT] documents cannot go into a mailbox that shows only e-mails\r\n";
    assert_eq!(
        c.command("a COPY 1 INBOX").await,
        format!("a {archive_only}")
    );
    assert_eq!(
        c.command("b MOVE 1 Archive").await,
        format!("b {archive_only}")
    );
    let private = "NO [CANNOT] repository documents cannot be moved or copied into your private mail folders\r\n";
    assert_eq!(
        c.command("c COPY 1 \"Alfresco IMAP/Imap Home/alice/Archive\"")
            .await,
        format!("c {private}")
    );
    assert_eq!(
        c.command("d MOVE 1 \"Alfresco IMAP/Imap Home/alice/INBOX\"")
            .await,
        format!("d {private}")
    );
    select(&mut c, "INBOX").await;
    let virtual_only = "NO [CANNOT] e-mails cannot go into a mailbox that shows only documents\r\n";
    assert_eq!(
        c.command("e COPY 1 Docs").await,
        format!("e {virtual_only}")
    );
    assert_eq!(
        c.command("f MOVE 1:2 Docs").await,
        format!("f {virtual_only}")
    );
    assert_eq!(server.names(DOCLIB), doclib);
    assert_eq!(server.names("Imap Home/alice/INBOX").len(), 6);
    assert_eq!(server.names("Imap Home/alice/Archive").len(), 0);
    assert!(server.names("Shared").is_empty());
    server.check_contract("copy_and_move_only_where_the_view_shows_the_result");
}

#[tokio::test]
async fn copy_of_a_document_copies_the_node() {
    let server = AlfrescoServer::start().await;
    let mut c = server.login("alice").await;
    let (_, id) = generated(&mut c).await;
    let original = server.emulator.node(&id).expect("document");
    let first = c.command("a UID COPY 1 \"Alfresco IMAP/Shared\"").await;
    let validity = code_number(&first, "COPYUID");
    assert_eq!(
        first,
        format!("a OK [COPYUID {validity} 1 1] COPY completed\r\n")
    );
    assert_eq!(
        c.command("b UID COPY 1 \"Alfresco IMAP/Shared\"").await,
        format!("b OK [COPYUID {validity} 1 2] COPY completed\r\n")
    );
    let numbered = match original.name.rsplit_once('.') {
        Some((base, ext)) => format!("{base} (1).{ext}"),
        None => format!("{} (1)", original.name),
    };
    assert_eq!(
        server.names("Shared"),
        [original.name.clone(), numbered.clone()]
    );
    let opened = select(&mut c, "Alfresco IMAP/Shared").await;
    assert_eq!(uid_validity(&opened), validity);
    for (uid, name) in [(1, &original.name), (2, &numbered)] {
        let copy = server.id(&format!("Shared/{name}"));
        assert_ne!(copy, id);
        let head = literal(
            &c.command(&format!("f UID FETCH {uid} BODY.PEEK[HEADER]"))
                .await,
        );
        assert_eq!(header(&head, "X-Alfresco-NodeRef-ID"), Some(copy));
    }
    assert!(server.names(DOCLIB).contains(&original.name));
    server.check_contract("copy_of_a_document_copies_the_node");
}

#[tokio::test]
async fn copy_of_an_e_mail_stores_a_new_e_mail() {
    let server = AlfrescoServer::start().await;
    let mut c = server.login("alice").await;
    select(&mut c, "INBOX").await;
    let first = literal(&c.command("f FETCH 1 BODY.PEEK[]").await);
    let answer = c.command("a COPY 1 \"Alfresco IMAP/Shared\"").await;
    assert!(answer.starts_with("a OK [COPYUID "), "{answer}");
    assert!(answer.ends_with(" 1 1] COPY completed\r\n"), "{answer}");
    let names = server.names("Shared");
    assert_eq!(names.len(), 1);
    assert!(is_message_name(&names[0]));
    let copy = server
        .emulator
        .node(&server.id(&format!("Shared/{}", names[0])))
        .expect("copy");
    assert_eq!(bytes_of(&copy), first);
    assert!(copy.aspects.contains("imap:imapContent"));
    assert_eq!(copy.content.as_ref().unwrap().mimetype, "message/rfc822");
    assert_eq!(server.names("Imap Home/alice/INBOX").len(), 6);
    select(&mut c, "Alfresco IMAP/Shared").await;
    assert_eq!(
        c.command("f FETCH 1 (FLAGS)").await,
        "* 1 FETCH (FLAGS (\\Seen \\Recent))\r\nf OK FETCH completed\r\n",
        "the flags travel with the copy"
    );
    server.check_contract("copy_of_an_e_mail_stores_a_new_e_mail");
}

#[tokio::test]
async fn a_copy_that_fails_part_way_removes_its_copies() {
    let server = AlfrescoServer::start().await;
    let mut c = server.login("alice").await;
    select(&mut c, DOCLIB_MAILBOX).await;
    let second = header(
        &literal(&c.command("f FETCH 2 BODY.PEEK[HEADER]").await),
        "X-Alfresco-NodeRef-ID",
    )
    .expect("node id");
    server.emulator.add_fault(Fault::status(
        Some("POST"),
        &format!("/nodes/{second}/copy"),
        507,
    ));
    assert_eq!(
        c.command("a COPY 1:3 \"Alfresco IMAP/Shared\"").await,
        "a NO [OVERQUOTA] quota exceeded\r\n"
    );
    assert!(server.names("Shared").is_empty());
    assert!(trashcan(&server, "alice").is_empty(), "removed for good");
    server.emulator.clear_faults();

    // The same with e-mails (stored again as new e-mails).
    select(&mut c, "INBOX").await;
    server
        .emulator
        .add_fault(Fault::status(Some("POST"), "/children", 507).times(1));
    let answer = c.command("b COPY 1:2 \"Alfresco IMAP/Shared\"").await;
    assert_eq!(answer, "b NO [OVERQUOTA] quota exceeded\r\n");
    assert!(server.names("Shared").is_empty());
    server.check_contract("a_copy_that_fails_part_way_removes_its_copies");
}

#[tokio::test]
async fn move_keeps_the_node_and_answers_uids_the_target_shows() {
    let server = AlfrescoServer::start().await;
    let mut c = server.login("alice").await;
    let (_, id) = generated(&mut c).await;
    let name = server.emulator.node(&id).expect("document").name;
    // A file of the same name is already there.
    server
        .emulator
        .create_file(&server.id("Shared"), &name, "other", "alice")
        .expect("file");
    let answer = c.command("m UID MOVE 1 \"Alfresco IMAP/Shared\"").await;
    let validity = code_number(&answer, "COPYUID");
    assert_eq!(
        answer,
        format!("* OK [COPYUID {validity} 1 1] Moved\r\n* 1 EXPUNGE\r\nm OK MOVE completed\r\n")
    );
    let node = server.emulator.node(&id).expect("node");
    assert_eq!(node.parent.as_deref(), Some(server.id("Shared").as_str()));
    let numbered = match name.rsplit_once('.') {
        Some((base, ext)) => format!("{base} (1).{ext}"),
        None => format!("{name} (1)"),
    };
    assert_eq!(node.name, numbered);
    assert!(!server.names(DOCLIB).contains(&name));
    let opened = select(&mut c, "Alfresco IMAP/Shared").await;
    assert_eq!(uid_validity(&opened), validity);
    let head = literal(&c.command("f UID FETCH 1 BODY.PEEK[HEADER]").await);
    assert_eq!(header(&head, "X-Alfresco-NodeRef-ID"), Some(id));

    // E-mails move too, keeping their node.
    select(&mut c, "INBOX").await;
    let inbox = server.id("Imap Home/alice/INBOX");
    let first = server
        .emulator
        .with_repository(|r| r.node(&inbox).expect("inbox").children[0].clone());
    let answer = c.command("n MOVE 1 Archive").await;
    assert!(answer.starts_with("* OK [COPYUID "), "{answer}");
    assert_eq!(
        server
            .emulator
            .node(&first)
            .expect("e-mail")
            .parent
            .as_deref(),
        Some(server.id("Imap Home/alice/Archive").as_str())
    );
    assert_eq!(exists(&select(&mut c, "Archive").await), 1);
    server.check_contract("move_keeps_the_node_and_answers_uids_the_target_shows");
}

// ---------------------------------------------------------------------------------------
// Trash

#[tokio::test]
async fn deleting_a_site_document_in_thunderbird_is_safe() {
    let server = AlfrescoServer::start().await;
    let mut c = server.login("alice").await;
    let (_, id) = generated(&mut c).await;
    let doclib = server.id(DOCLIB);
    let before = server.names(DOCLIB);
    let others: Vec<(String, chrono::DateTime<chrono::Utc>)> =
        server.emulator.with_repository(|r| {
            r.node(&doclib)
                .expect("library")
                .children
                .iter()
                .filter(|c| **c != id)
                .filter_map(|c| r.node(c))
                .map(|n| (n.id.clone(), n.modified_at))
                .collect()
        });
    // What Thunderbird's Delete sends.
    let answer = c.command("m UID MOVE 1 Trash").await;
    assert_eq!(
        answer,
        format!(
            "* OK [COPYUID {} 1 1] Moved\r\n* 1 EXPUNGE\r\nm OK MOVE completed\r\n",
            code_number(&answer, "COPYUID")
        )
    );
    let node = server.emulator.node(&id).expect("in the trashcan");
    let archived = node.archived.as_ref().expect("deleted");
    assert_eq!(archived.by, "alice");
    assert_eq!(archived.original_parent, doclib);
    let name = node.name.clone();
    assert_eq!(
        server.names(DOCLIB),
        before
            .iter()
            .filter(|n| **n != name)
            .cloned()
            .collect::<Vec<_>>()
    );
    for (other, modified) in &others {
        assert_eq!(
            server.emulator.node(other).expect("sibling").modified_at,
            *modified
        );
    }
    let api = server.api("alice");
    assert_eq!(
        api.get(&format!("deleted-nodes/{id}")).await.status,
        200,
        "restorable"
    );

    // Trash shows it; moving it out restores the same node.
    assert_eq!(exists(&select(&mut c, "Trash").await), 1);
    let head = literal(&c.command("f FETCH 1 BODY.PEEK[HEADER]").await);
    assert_eq!(header(&head, "X-Alfresco-NodeRef-ID"), Some(id.clone()));
    let answer = c
        .command(&format!("r UID MOVE 1 \"{DOCLIB_MAILBOX}\""))
        .await;
    assert!(answer.starts_with("* OK [COPYUID "), "{answer}");
    let node = server.emulator.node(&id).expect("restored");
    assert!(node.archived.is_none() && !node.in_trash);
    assert_eq!(node.parent.as_deref(), Some(doclib.as_str()));
    assert_eq!(server.names(DOCLIB).len(), before.len());
    let target_uid = answer
        .split("] Moved")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|s| s.parse::<u32>().ok())
        .expect("destination UID");
    select(&mut c, DOCLIB_MAILBOX).await;
    let head = literal(
        &c.command(&format!("f UID FETCH {target_uid} BODY.PEEK[HEADER]"))
            .await,
    );
    assert_eq!(header(&head, "X-Alfresco-NodeRef-ID"), Some(id));
    server.check_contract("deleting_a_site_document_in_thunderbird_is_safe");
}

#[tokio::test]
async fn a_move_to_trash_that_fails_part_way_undoes_what_it_did() {
    let server = AlfrescoServer::start().await;
    let mut c = server.login("alice").await;
    select(&mut c, DOCLIB_MAILBOX).await;
    let names = server.names(DOCLIB);
    let second = header(
        &literal(&c.command("f FETCH 2 BODY.PEEK[HEADER]").await),
        "X-Alfresco-NodeRef-ID",
    )
    .expect("node id");
    server.emulator.add_fault(Fault::status(
        Some("DELETE"),
        &format!("/nodes/{second}"),
        403,
    ));
    let answer = c.command("m MOVE 1:3 Trash").await;
    assert!(answer.starts_with("m NO [NOPERM] "), "{answer}");
    let mut now = server.names(DOCLIB);
    now.sort();
    let mut names = names;
    names.sort();
    assert_eq!(now, names, "all or nothing");
    assert!(trashcan(&server, "alice").is_empty());
    assert_eq!(c.command("n NOOP").await, "n OK NOOP completed\r\n");
    assert_eq!(exists(&select(&mut c, "Trash").await), 0);

    // Between folders, with a name clash on the way: moved back under the old name.
    server.emulator.clear_faults();
    let shared = server.id("Shared");
    server
        .emulator
        .create_file(&shared, "Team Photo.png", "other", "alice")
        .expect("file");
    server.emulator.add_fault(Fault::status(
        Some("POST"),
        &format!("/nodes/{second}/move"),
        403,
    ));
    select(&mut c, DOCLIB_MAILBOX).await;
    let answer = c.command("m MOVE 1:3 \"Alfresco IMAP/Shared\"").await;
    assert!(answer.starts_with("m NO [NOPERM] "), "{answer}");
    let mut now = server.names(DOCLIB);
    now.sort();
    assert_eq!(now, names, "all or nothing");
    assert_eq!(server.names("Shared"), ["Team Photo.png"]);
    server.check_contract("a_move_to_trash_that_fails_part_way_undoes_what_it_did");
}

#[tokio::test]
async fn expunge_in_trash_deletes_for_good_where_allowed() {
    let server = AlfrescoServer::start().await;
    let mut c = server.login("alice").await;
    // Alice's own e-mail: she may purge it.
    select(&mut c, "INBOX").await;
    let inbox = server.id("Imap Home/alice/INBOX");
    let first = server
        .emulator
        .with_repository(|r| r.node(&inbox).expect("inbox").children[0].clone());
    assert!(
        c.command("m MOVE 1 Trash")
            .await
            .ends_with("m OK MOVE completed\r\n")
    );
    // Bob's document in the site alice manages; the repository will not let it be purged.
    let doclib = server.id(DOCLIB);
    let bobs = server
        .emulator
        .create_file(&doclib, "bob.txt", "by bob", "bob")
        .expect("file");
    let last = exists(&select(&mut c, DOCLIB_MAILBOX).await);
    assert!(
        c.command(&format!("m MOVE {last} Trash"))
            .await
            .ends_with("m OK MOVE completed\r\n")
    );
    server.emulator.add_fault(Fault::status(
        Some("DELETE"),
        &format!("/deleted-nodes/{bobs}"),
        403,
    ));

    let opened = select(&mut c, "Trash").await;
    assert_eq!(exists(&opened), 2);
    c.command("s STORE 1:2 +FLAGS.SILENT (\\Deleted)").await;
    let answer = c.command("e EXPUNGE").await;
    assert!(
        answer.starts_with("* 1 EXPUNGE\r\ne NO [NOPERM] "),
        "{answer}"
    );
    assert!(server.emulator.node(&first).is_none(), "purged");
    assert!(
        server
            .emulator
            .node(&bobs)
            .expect("kept")
            .archived
            .is_some()
    );
    assert_eq!(trashcan(&server, "alice"), ["bob.txt"]);
    assert_eq!(
        c.command("f FETCH 1 (FLAGS)").await,
        "* 1 FETCH (FLAGS (\\Deleted \\Recent))\r\nf OK FETCH completed\r\n",
        "left as it was"
    );
    server.check_contract("expunge_in_trash_deletes_for_good_where_allowed");
}

// ---------------------------------------------------------------------------------------
// EXPUNGE

#[tokio::test]
async fn expunge_moves_only_deleted_messages_to_the_trashcan() {
    let server = AlfrescoServer::start().await;
    let mut c = server.login("alice").await;
    let inbox = server.id("Imap Home/alice/INBOX");
    let ids = server
        .emulator
        .with_repository(|r| r.node(&inbox).expect("inbox").children.clone());
    select(&mut c, "INBOX").await;
    c.command("s STORE 2,4,6 +FLAGS.SILENT (\\Deleted)").await;
    assert_eq!(
        c.command("u UID EXPUNGE 4:6").await,
        "* 6 EXPUNGE\r\n* 4 EXPUNGE\r\nu OK EXPUNGE completed\r\n"
    );
    assert_eq!(
        c.command("e EXPUNGE").await,
        "* 2 EXPUNGE\r\ne OK EXPUNGE completed\r\n"
    );
    for (index, id) in ids.iter().enumerate() {
        let node = server.emulator.node(id).expect("node");
        assert_eq!(
            node.archived.is_some(),
            [1, 3, 5].contains(&index),
            "message {}",
            index + 1
        );
    }
    let api = server.api("alice");
    for index in [1, 3, 5] {
        assert_eq!(
            api.get(&format!("deleted-nodes/{}", ids[index]))
                .await
                .status,
            200
        );
    }
    assert_eq!(exists(&select(&mut c, "INBOX").await), 3);
    server.check_contract("expunge_moves_only_deleted_messages_to_the_trashcan");
}

#[tokio::test]
async fn e_mails_expunged_from_drafts_are_deleted_for_good() {
    let server = AlfrescoServer::start().await;
    let mut c = server.login("alice").await;
    let answer = append(
        &mut c,
        "a",
        "Drafts",
        "\\Draft",
        &sample_email("Draft", "d@x"),
    )
    .await;
    assert!(tagged(&answer).starts_with("a OK [APPENDUID "), "{answer}");
    let name = server.names("Imap Home/alice/Drafts").remove(0);
    let id = server.id(&format!("Imap Home/alice/Drafts/{name}"));
    select(&mut c, "Drafts").await;
    c.command("s STORE 1 +FLAGS.SILENT (\\Deleted)").await;
    assert_eq!(
        c.command("e EXPUNGE").await,
        "* 1 EXPUNGE\r\ne OK EXPUNGE completed\r\n"
    );
    assert!(server.emulator.node(&id).is_none());
    assert!(trashcan(&server, "alice").is_empty());
    server.check_contract("e_mails_expunged_from_drafts_are_deleted_for_good");
}
