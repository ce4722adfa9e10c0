//! The product end to end (demo seed over HTTP): flags and rights, message identity, summaries,
//! SEARCH, permissions, and changes made in the repository underneath a selected mailbox.
//! Every test checks the IMAP answer and the repository (or state store) afterwards, and the
//! REST exchanges against the official definitions.

mod common;

use alfresco_imap::emulator::activities::FILE_DOWNLOADED;
use alfresco_imap::emulator::{Ace, Fault};
use alfresco_imap::state::MailboxKey;
use serde_json::json;

use common::alfresco::*;

const DOCLIB: &str = "Sites/marketing/documentLibrary";
const DOCLIB_MAILBOX: &str = "Alfresco IMAP/Sites/marketing/documentLibrary";

/// The node ids of the library's top-level documents in the order IMAP shows them.
fn library_documents(server: &AlfrescoServer) -> Vec<String> {
    files_oldest_first(&server.emulator, &server.id(DOCLIB))
}

/// The node ids the state store maps in a mailbox, for `user`.
async fn mapped(server: &AlfrescoServer, folder: &str, view: &str) -> Vec<String> {
    let key = MailboxKey {
        folder_id: folder.to_owned(),
        view: view.to_owned(),
    };
    let record = server
        .store
        .open_mailbox(&key, "probe")
        .await
        .expect("mailbox");
    server
        .store
        .snapshot(record.id, "alice")
        .await
        .expect("snapshot")
        .messages
        .into_iter()
        .map(|m| m.node_id)
        .collect()
}

// ---------------------------------------------------------------------------------------
// Flags and rights

#[tokio::test]
async fn permanent_flags_follow_each_users_rights() {
    let server = AlfrescoServer::start().await;
    let mut alice = server.login("alice").await;
    let mut bob = server.login("bob").await;
    let answer = select(&mut alice, DOCLIB_MAILBOX).await;
    assert!(
        answer.contains(
            "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted\r\n"
        ),
        "{answer}"
    );
    server.emulator.set_preference(
        "bob",
        "org.alfresco.share.sites.imapFavourites.marketing",
        Some(json!(true)),
    );
    let answer = select(&mut bob, DOCLIB_MAILBOX).await;
    assert!(
        answer.contains(
            "* OK [PERMANENTFLAGS (\\Seen $Junk $NotJunk Junk NonJunk $Phishing)] Flags permitted\r\n"
        ),
        "{answer}"
    );
    assert!(
        answer.ends_with("S OK [READ-WRITE] SELECT completed\r\n"),
        "{answer}"
    );
    server.check_contract("permanent_flags_follow_each_users_rights");
}

#[tokio::test]
async fn a_consumer_marks_documents_read_but_cannot_delete_them() {
    let server = AlfrescoServer::start().await;
    let mut alice = server.login("alice").await;
    let mut bob = server.login("bob").await;
    select(&mut alice, DOCLIB_MAILBOX).await;
    select(&mut bob, DOCLIB_MAILBOX).await;
    let names = server.names(DOCLIB);

    assert_eq!(
        bob.command("a STORE 1 +FLAGS.SILENT (\\Seen $Junk)").await,
        "a OK STORE completed\r\n"
    );
    assert_eq!(
        bob.command("b STORE 1 +FLAGS (\\Deleted)").await,
        "b NO [NOPERM] You may not change \\Deleted on message 1\r\n"
    );
    assert_eq!(
        bob.command("c STORE 1 +FLAGS (\\Flagged)").await,
        "c NO [NOPERM] You may not change \\Flagged on message 1\r\n"
    );
    assert_eq!(
        bob.command("d FETCH 1 (FLAGS)").await,
        "* 1 FETCH (FLAGS (\\Seen $Junk))\r\nd OK FETCH completed\r\n"
    );
    // Private to bob.
    assert_eq!(
        alice.command("e FETCH 1 (FLAGS)").await,
        "* 1 FETCH (FLAGS (\\Recent))\r\ne OK FETCH completed\r\n"
    );

    // A Manager marks a document deleted; the Consumer's EXPUNGE does not apply it.
    alice.command("f STORE 2 +FLAGS.SILENT (\\Deleted)").await;
    assert_eq!(
        bob.command("g NOOP").await,
        "* 2 FETCH (FLAGS (\\Deleted))\r\ng OK NOOP completed\r\n"
    );
    assert_eq!(bob.command("h EXPUNGE").await, "h OK EXPUNGE completed\r\n");
    assert_eq!(
        bob.command("i UID EXPUNGE 1:*").await,
        "i OK EXPUNGE completed\r\n"
    );
    assert_eq!(bob.command("j CLOSE").await, "j OK CLOSE completed\r\n");
    assert_eq!(server.names(DOCLIB), names);
    select(&mut bob, DOCLIB_MAILBOX).await;
    assert_eq!(
        bob.command("k MOVE 2 Trash").await,
        "k NO [NOPERM] You may not remove these messages from this mailbox\r\n"
    );
    assert_eq!(server.names(DOCLIB), names);
    server.check_contract("a_consumer_marks_documents_read_but_cannot_delete_them");
}

#[tokio::test]
async fn flags_are_never_written_to_nodes() {
    let server = AlfrescoServer::start().await;
    let documents = library_documents(&server);
    let inbox = server.id("Imap Home/alice/INBOX");
    let emails = server
        .emulator
        .with_repository(|r| r.node(&inbox).expect("inbox").children.clone());
    let watched: Vec<String> = documents.iter().chain(&emails).cloned().collect();
    let state = |server: &AlfrescoServer| {
        watched
            .iter()
            .map(|id| {
                let n = server.emulator.node(id).expect("node");
                (
                    n.modified_at,
                    n.modified_by.clone(),
                    n.props.clone(),
                    n.aspects.clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    let before = state(&server);
    let activities = server.emulator.activities().len();
    let mut c = server.login("alice").await;
    for mailbox in [DOCLIB_MAILBOX, "INBOX"] {
        select(&mut c, mailbox).await;
        for command in [
            "a STORE 1:* +FLAGS.SILENT (\\Seen \\Flagged \\Answered \\Draft $Label1)",
            "b STORE 1 -FLAGS.SILENT (\\Seen \\Flagged)",
            "c STORE 2 FLAGS.SILENT (\\Deleted)",
        ] {
            assert!(tagged(&c.command(command).await).ends_with("OK STORE completed"));
        }
        c.command("u UNSELECT").await;
    }
    assert!(state(&server) == before, "no node changed");
    assert_eq!(
        server.emulator.activities().len(),
        activities,
        "no activity posted"
    );
    server.check_contract("flags_are_never_written_to_nodes");
}

#[tokio::test]
async fn flags_the_built_in_server_left_are_imported_once() {
    let server = AlfrescoServer::start().await;
    let documents = library_documents(&server);
    for (property, value) in [
        ("imap:flagFlagged", true),
        ("imap:flagAnswered", true),
        ("imap:flagSeen", true),
        ("imap:flagRecent", true),
        ("imap:flagDeleted", false),
    ] {
        server
            .emulator
            .set_property(&documents[0], property, json!(value), "admin")
            .expect("property");
    }
    let mut alice = server.login("alice").await;
    select(&mut alice, DOCLIB_MAILBOX).await;
    assert_eq!(
        alice.command("a FETCH 1 (FLAGS)").await,
        "* 1 FETCH (FLAGS (\\Answered \\Flagged \\Seen \\Recent))\r\na OK FETCH completed\r\n"
    );
    // \Recent is this session's claim, not an imported flag: another session sees none.
    let mut other = server.login("alice").await;
    select(&mut other, DOCLIB_MAILBOX).await;
    assert_eq!(
        other.command("b FETCH 1 (FLAGS)").await,
        "* 1 FETCH (FLAGS (\\Answered \\Flagged \\Seen))\r\nb OK FETCH completed\r\n"
    );
    other
        .command("c STORE 1 -FLAGS.SILENT (\\Flagged \\Seen)")
        .await;
    let mut again = server.login("alice").await;
    select(&mut again, DOCLIB_MAILBOX).await;
    assert_eq!(
        again.command("d FETCH 1 (FLAGS)").await,
        "* 1 FETCH (FLAGS (\\Answered))\r\nd OK FETCH completed\r\n",
        "not imported a second time"
    );
    let node = server.emulator.node(&documents[0]).expect("node");
    assert_eq!(
        node.props.get("imap:flagFlagged").map(|v| v.to_json()),
        Some(json!(true))
    );
    server.check_contract("flags_the_built_in_server_left_are_imported_once");
}

// ---------------------------------------------------------------------------------------
// Identity

#[tokio::test]
async fn a_changed_document_is_a_new_message_and_keeps_its_shared_flags() {
    let server = AlfrescoServer::start().await;
    let documents = library_documents(&server);
    let mut c = server.login("alice").await;
    let opened = select(&mut c, DOCLIB_MAILBOX).await;
    let validity = uid_validity(&opened);
    assert!(opened.contains("[UIDNEXT 5]"), "{opened}");
    c.command("a STORE 1:3 +FLAGS.SILENT (\\Flagged $Important)")
        .await;

    // Content (a new version).
    server
        .emulator
        .set_content(&documents[0], "new content", "alice")
        .expect("content");
    assert_eq!(
        c.command("n NOOP").await,
        "* 1 EXPUNGE\r\n* 4 EXISTS\r\n* 4 RECENT\r\nn OK NOOP completed\r\n"
    );
    assert_eq!(
        c.command("f UID FETCH 5 (UID FLAGS)").await,
        "* 4 FETCH (UID 5 FLAGS (\\Flagged $Important \\Recent))\r\nf OK FETCH completed\r\n"
    );
    // Name.
    let renamed = server
        .api("alice")
        .put(
            &format!("nodes/{}", documents[1]),
            &json!({"name": "Plan 2026.docx"}),
        )
        .await;
    assert_eq!(renamed.status, 200);
    let answer = c.command("n NOOP").await;
    assert!(
        answer.starts_with("* 1 EXPUNGE\r\n* 4 EXISTS\r\n"),
        "{answer}"
    );
    // Title.
    server
        .emulator
        .set_property(&documents[2], "cm:title", json!("Minutes"), "alice")
        .expect("title");
    let answer = c.command("n NOOP").await;
    assert!(
        answer.starts_with("* 1 EXPUNGE\r\n* 4 EXISTS\r\n"),
        "{answer}"
    );
    assert_eq!(
        c.command("f UID FETCH 1:* (UID FLAGS)").await,
        "* 1 FETCH (UID 4 FLAGS (\\Recent))\r\n\
         * 2 FETCH (UID 5 FLAGS (\\Flagged $Important \\Recent))\r\n\
         * 3 FETCH (UID 6 FLAGS (\\Flagged $Important \\Recent))\r\n\
         * 4 FETCH (UID 7 FLAGS (\\Flagged $Important \\Recent))\r\n\
         f OK FETCH completed\r\n"
    );
    let head = literal(&c.command("f UID FETCH 7 BODY.PEEK[HEADER]").await);
    assert_eq!(header(&head, "Subject").as_deref(), Some("Minutes"));

    // Only volatile metadata no message shows (templates may show any other property): no
    // renumbering.
    server
        .emulator
        .set_property(
            &documents[3],
            "cm:lastThumbnailModification",
            json!(["doclib:2"]),
            "alice",
        )
        .expect("property");
    assert_eq!(c.command("n NOOP").await, "n OK NOOP completed\r\n");
    let mut again = server.login("alice").await;
    let reopened = select(&mut again, DOCLIB_MAILBOX).await;
    assert_eq!(uid_validity(&reopened), validity);
    assert_eq!(
        fetched_uids(&again.command("f UID FETCH 1:* (UID)").await),
        [4, 5, 6, 7]
    );
    server.check_contract("a_changed_document_is_a_new_message_and_keeps_its_shared_flags");
}

#[tokio::test]
async fn working_copies_are_hidden() {
    let server = AlfrescoServer::start().await;
    let doclib = server.id(DOCLIB);
    let mut c = server.login("alice").await;
    assert_eq!(exists(&select(&mut c, DOCLIB_MAILBOX).await), 4);
    let copy = server
        .emulator
        .create_file(&doclib, "Welcome (Working Copy).txt", "draft", "alice")
        .expect("file");
    server.emulator.with_repository(|r| {
        if let Some(n) = r.node_mut(&copy) {
            n.aspects.insert("cm:workingcopy".into());
            n.aspects.insert("cm:checkedOut".into());
        }
    });
    assert_eq!(c.command("n NOOP").await, "n OK NOOP completed\r\n");
    assert_eq!(exists(&select(&mut c, DOCLIB_MAILBOX).await), 4);
    server.check_contract("working_copies_are_hidden");
}

// ---------------------------------------------------------------------------------------
// Summaries and SEARCH

#[tokio::test]
async fn an_e_mail_is_downloaded_at_most_once() {
    let server = AlfrescoServer::start().await;
    let email = sample_email("Site mail", "site-mail@example.com");
    let mut c = server.login("alice").await;
    let answer = append(&mut c, "a", DOCLIB_MAILBOX, "", &email).await;
    assert!(tagged(&answer).starts_with("a OK [APPENDUID "), "{answer}");
    let downloads = server.downloads();
    for round in 0..2 {
        let mut c = server.login("alice").await;
        for mailbox in ["INBOX", DOCLIB_MAILBOX] {
            select(&mut c, mailbox).await;
            let answer = c
                .command("f FETCH 1:* (ENVELOPE BODYSTRUCTURE RFC822.SIZE BODY.PEEK[HEADER])")
                .await;
            assert!(tagged(&answer).ends_with("OK FETCH completed"), "{answer}");
        }
        c.command("z LOGOUT").await;
        assert!(
            server.downloads() - downloads <= 7,
            "round {round}: {} downloads",
            server.downloads() - downloads
        );
    }
    let after_first = server.downloads();
    let mut c = server.login("alice").await;
    select(&mut c, "INBOX").await;
    c.command("f FETCH 1:* (ENVELOPE BODYSTRUCTURE BODY.PEEK[HEADER])")
        .await;
    assert_eq!(server.downloads(), after_first, "summaries are kept");
    let downloaded: Vec<_> = server
        .emulator
        .activities()
        .into_iter()
        .filter(|a| a.activity_type == FILE_DOWNLOADED)
        .collect();
    assert!(downloaded.len() <= 1, "{downloaded:?}");
    server.check_contract("an_e_mail_is_downloaded_at_most_once");
}

#[tokio::test]
async fn search_never_downloads_documents() {
    let server = AlfrescoServer::start().await;
    let mut c = server.login("alice").await;
    select(&mut c, DOCLIB_MAILBOX).await;
    let downloads = server.downloads();
    assert_eq!(searched(&c.command("s SEARCH SUBJECT \"Plan\"").await), [2]);
    assert_eq!(
        searched(&c.command("s SEARCH BODY \"Team Photo\"").await),
        [1]
    );
    assert_eq!(
        searched(&c.command("s SEARCH TEXT \"Meeting Notes\"").await),
        [3]
    );
    assert_eq!(
        searched(&c.command("s SEARCH FROM \"Alice Adams\"").await),
        [1, 2, 3, 4]
    );
    assert_eq!(
        searched(&c.command("s SEARCH LARGER 100000").await),
        Vec::<u32>::new()
    );
    assert_eq!(server.downloads(), downloads, "no content downloaded");
    let downloaded = server
        .emulator
        .activities()
        .into_iter()
        .filter(|a| a.activity_type == FILE_DOWNLOADED)
        .count();
    assert_eq!(downloaded, 0);
    server.check_contract("search_never_downloads_documents");
}

// ---------------------------------------------------------------------------------------
// Permissions

#[tokio::test]
async fn what_the_repository_refuses_is_noperm_and_changes_nothing() {
    let server = AlfrescoServer::start().await;
    let doclib = server.id(DOCLIB);
    server
        .emulator
        .create_folder(&doclib, "Empty", "alice")
        .expect("folder");
    let names = server.names(DOCLIB);
    let mut bob = server.login("bob").await;
    for command in [
        format!("a CREATE \"{DOCLIB_MAILBOX}/Bob\""),
        format!("b DELETE \"{DOCLIB_MAILBOX}/Empty\""),
        format!("c RENAME \"{DOCLIB_MAILBOX}/Empty\" \"{DOCLIB_MAILBOX}/Full\""),
    ] {
        let answer = bob.command(&command).await;
        assert!(answer.contains(" NO [NOPERM] "), "{command}: {answer}");
        assert_eq!(server.names(DOCLIB), names);
    }
    select(&mut bob, "INBOX").await;
    assert_eq!(
        bob.command(&format!("d COPY 1 \"{DOCLIB_MAILBOX}\"")).await,
        "d NO [NOPERM] You may not store messages in that mailbox\r\n"
    );
    assert_eq!(server.names(DOCLIB), names);

    // The repository refuses although the listed rights allowed it.
    let mut alice = server.login("alice").await;
    select(&mut alice, DOCLIB_MAILBOX).await;
    server
        .emulator
        .add_fault(Fault::status(Some("POST"), "/move", 403).times(1));
    let answer = alice.command("m MOVE 1 \"Alfresco IMAP/Shared\"").await;
    assert!(answer.starts_with("m NO [NOPERM] "), "{answer}");
    assert_eq!(server.names(DOCLIB), names);
    assert_eq!(alice.command("n NOOP").await, "n OK NOOP completed\r\n");
    assert!(server.names("Shared").is_empty());

    // A full repository.
    server
        .emulator
        .add_fault(Fault::status(Some("POST"), "/children", 507));
    assert_eq!(
        alice
            .command("q CREATE \"Alfresco IMAP/Shared/Full\"")
            .await,
        "q NO [OVERQUOTA] quota exceeded\r\n"
    );
    assert!(server.names("Shared").is_empty());
    server.check_contract("what_the_repository_refuses_is_noperm_and_changes_nothing");
}

// ---------------------------------------------------------------------------------------
// Changes made in the repository

#[tokio::test]
async fn changes_in_the_repository_reach_a_selected_mailbox() {
    let server = AlfrescoServer::start().await;
    let doclib = server.id(DOCLIB);
    let documents = library_documents(&server);
    server.emulator.set_preference(
        "bob",
        "org.alfresco.share.sites.imapFavourites.marketing",
        Some(json!(true)),
    );
    let mut alice = server.login("alice").await;
    let mut bob = server.login("bob").await;
    select(&mut alice, DOCLIB_MAILBOX).await;
    select(&mut bob, DOCLIB_MAILBOX).await;

    // Nothing changed: one cheap call.
    let calls = server.rest_calls();
    assert_eq!(alice.command("n NOOP").await, "n OK NOOP completed\r\n");
    assert_eq!(server.rest_calls() - calls, 1);

    // A new document.
    let new = server
        .emulator
        .create_file(&doclib, "Agenda.txt", "agenda", "alice")
        .expect("file");
    let answer = alice.command("n NOOP").await;
    assert!(answer.starts_with("* 5 EXISTS\r\n"), "{answer}");
    // Deleted.
    server
        .emulator
        .delete_node(&new, "alice", false)
        .expect("delete");
    assert_eq!(
        alice.command("n NOOP").await,
        "* 5 EXPUNGE\r\nn OK NOOP completed\r\n"
    );
    // Moved elsewhere: gone from here, and its row retired.
    let moved = server
        .api("alice")
        .post(
            &format!("nodes/{}/move", documents[3]),
            &json!({"targetParentId": server.id("Shared")}),
        )
        .await;
    assert_eq!(moved.status, 200, "{:?}", moved.json);
    assert_eq!(
        alice.command("n NOOP").await,
        "* 4 EXPUNGE\r\nn OK NOOP completed\r\n"
    );
    assert!(
        !mapped(&server, &doclib, "mixed")
            .await
            .contains(&documents[3])
    );
    assert_eq!(exists(&select(&mut alice, "Alfresco IMAP/Shared").await), 1);
    select(&mut alice, DOCLIB_MAILBOX).await;

    // Hidden from bob only: gone for him, still there for alice.
    let answer = bob.command("n NOOP").await;
    assert!(answer.contains("* 4 EXPUNGE\r\n"), "{answer}");
    server
        .emulator
        .set_permissions(
            &documents[2],
            false,
            vec![Ace::allow("alice", "Coordinator")],
        )
        .expect("permissions");
    assert_eq!(
        bob.command("n NOOP").await,
        "* 3 EXPUNGE\r\nn OK NOOP completed\r\n"
    );
    assert_eq!(alice.command("n NOOP").await, "n OK NOOP completed\r\n");
    assert!(
        mapped(&server, &doclib, "mixed")
            .await
            .contains(&documents[2])
    );
    assert_eq!(exists(&select(&mut alice, DOCLIB_MAILBOX).await), 3);
    assert_eq!(exists(&select(&mut bob, DOCLIB_MAILBOX).await), 2);
    server.check_contract("changes_in_the_repository_reach_a_selected_mailbox");
}
