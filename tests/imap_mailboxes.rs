//! Golden tests on raw bytes for mailboxes: CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE,
//! LSUB, LIST (with the SPECIAL-USE forms real clients send), STATUS, SELECT, EXAMINE,
//! UNSELECT, CLOSE and CHECK.

mod common;

use common::client::RawClient;
use common::golden::{VALIDITY, message, selected};
use common::server::TestServer;

/// `LIST "" "*"` of a fresh alice.
const ALICE_ALL: &str = "* LIST (\\HasNoChildren) \"/\" INBOX\r\n\
                         * LIST (\\HasNoChildren \\Drafts) \"/\" Drafts\r\n\
                         * LIST (\\HasNoChildren \\Junk) \"/\" Junk\r\n\
                         * LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\n\
                         * LIST (\\HasChildren) \"/\" Shared\r\n\
                         * LIST (\\HasNoChildren) \"/\" Shared/Projects\r\n\
                         * LIST (\\HasNoChildren \\Trash) \"/\" Trash\r\n";

/// The special-use mailboxes of alice, as LIST shows them.
const ALICE_SPECIAL: &str = "* LIST (\\HasNoChildren \\Drafts) \"/\" Drafts\r\n\
                             * LIST (\\HasNoChildren \\Junk) \"/\" Junk\r\n\
                             * LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\n\
                             * LIST (\\HasNoChildren \\Trash) \"/\" Trash\r\n";

async fn list(c: &mut RawClient, pattern: &str) -> String {
    c.command(&format!("l LIST \"\" {pattern}")).await
}

fn listed(lines: &[&str]) -> String {
    let mut out: String = lines.iter().map(|l| format!("* LIST {l}\r\n")).collect();
    out.push_str("l OK LIST completed\r\n");
    out
}

// ---------------------------------------------------------------------------------------
// CREATE

#[tokio::test]
async fn create_a_mailbox() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    assert_eq!(
        c.command("a CREATE Projects").await,
        "a OK CREATE completed\r\n"
    );
    assert_eq!(
        list(&mut c, "Projects").await,
        listed(&["(\\HasNoChildren) \"/\" Projects"])
    );
}

#[tokio::test]
async fn create_with_a_trailing_delimiter() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    assert_eq!(
        c.command("a CREATE Reports/").await,
        "a OK CREATE completed\r\n"
    );
    assert_eq!(
        list(&mut c, "Reports*").await,
        listed(&["(\\HasNoChildren) \"/\" Reports"])
    );
}

#[tokio::test]
async fn create_creates_missing_parents() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    assert_eq!(
        c.command("a CREATE a/b/c").await,
        "a OK CREATE completed\r\n"
    );
    assert_eq!(
        list(&mut c, "a*").await,
        listed(&[
            "(\\HasChildren) \"/\" a",
            "(\\HasChildren) \"/\" a/b",
            "(\\HasNoChildren) \"/\" a/b/c",
        ])
    );
}

#[tokio::test]
async fn create_an_existing_name() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    assert_eq!(
        c.command("a CREATE Sent").await,
        "a NO [ALREADYEXISTS] the mailbox already exists\r\n"
    );
}

#[tokio::test]
async fn create_inbox_in_any_case() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    for name in ["INBOX", "inbox", "\"Inbox\""] {
        assert_eq!(
            c.command(&format!("a CREATE {name}")).await,
            "a NO [ALREADYEXISTS] INBOX always exists\r\n",
            "{name}"
        );
    }
}

#[tokio::test]
async fn create_an_invalid_name() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    assert_eq!(
        c.command("a CREATE a//b").await,
        "a NO [CANNOT] Invalid mailbox name\r\n"
    );
    assert_eq!(
        c.command("b CREATE /").await,
        "b NO [CANNOT] Invalid mailbox name\r\n"
    );
}

#[tokio::test]
async fn create_with_malformed_modified_utf7() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    let answer = c.command("a CREATE &AGE-").await;
    assert!(
        answer.starts_with("a NO [CANNOT] Invalid mailbox name: "),
        "{answer}"
    );
    assert_eq!(
        list(&mut c, "\"*\"").await,
        format!("{ALICE_ALL}l OK LIST completed\r\n")
    );
    assert_eq!(
        list(&mut c, "&*").await,
        "l BAD Invalid mailbox pattern\r\n"
    );
}

#[tokio::test]
async fn create_in_a_shared_folder_without_the_right() {
    let server = TestServer::start().await;
    let mut bob = server.bob().await;
    assert_eq!(
        bob.command("a CREATE Shared/Projects/Q3").await,
        "a NO [NOPERM] permission denied: cannot create folders here\r\n"
    );
    let mut alice = server.alice().await;
    assert_eq!(
        alice.command("b CREATE Shared/Projects/Q3").await,
        "b OK CREATE completed\r\n"
    );
}

#[tokio::test]
async fn create_and_list_a_modified_utf7_name() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    assert_eq!(
        c.command("a CREATE Entw&APw-rfe").await,
        "a OK CREATE completed\r\n"
    );
    assert_eq!(
        list(&mut c, "Entw*").await,
        listed(&["(\\HasNoChildren) \"/\" Entw&APw-rfe"])
    );
    assert_eq!(
        c.command("b SELECT Entw&APw-rfe").await,
        selected("b", 0, 0, None, 1)
    );
}

// ---------------------------------------------------------------------------------------
// DELETE

#[tokio::test]
async fn delete_a_mailbox() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    c.command("a CREATE Old").await;
    assert_eq!(c.command("b DELETE Old").await, "b OK DELETE completed\r\n");
    assert_eq!(list(&mut c, "Old").await, listed(&[]));
}

#[tokio::test]
async fn delete_a_missing_mailbox() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    assert_eq!(
        c.command("a DELETE Nowhere").await,
        "a NO [NONEXISTENT] no such mailbox\r\n"
    );
}

#[tokio::test]
async fn delete_inbox_is_refused() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    assert_eq!(
        c.command("a DELETE inbox").await,
        "a NO [CANNOT] INBOX cannot be deleted\r\n"
    );
}

#[tokio::test]
async fn delete_a_mailbox_with_children_is_refused() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    c.command("a CREATE p/c").await;
    assert_eq!(
        c.command("b DELETE p").await,
        "b NO [CANNOT] the mailbox has child mailboxes\r\n"
    );
}

#[tokio::test]
async fn delete_a_shared_folder_without_the_right() {
    let server = TestServer::start().await;
    let mut bob = server.bob().await;
    assert_eq!(
        bob.command("a DELETE Shared/Projects").await,
        "a NO [NOPERM] permission denied: cannot delete this folder\r\n"
    );
}

#[tokio::test]
async fn a_deleted_name_created_again_has_a_new_uidvalidity() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    c.command("a CREATE Again").await;
    c.command("b SELECT Again").await;
    c.command("c UNSELECT").await;
    c.command("d DELETE Again").await;
    c.command("e CREATE Again").await;
    let answer = c.command("f SELECT Again").await;
    assert!(
        answer.contains(&format!(
            "* OK [UIDVALIDITY {}] UIDs valid\r\n",
            VALIDITY + 1
        )),
        "{answer}"
    );
}

// ---------------------------------------------------------------------------------------
// RENAME

#[tokio::test]
async fn rename_a_mailbox_with_its_children() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    c.command("a CREATE p/c").await;
    assert_eq!(c.command("b RENAME p q").await, "b OK RENAME completed\r\n");
    assert_eq!(
        list(&mut c, "*").await,
        listed(&[
            "(\\HasNoChildren) \"/\" INBOX",
            "(\\HasNoChildren \\Drafts) \"/\" Drafts",
            "(\\HasNoChildren \\Junk) \"/\" Junk",
            "(\\HasNoChildren \\Sent) \"/\" Sent",
            "(\\HasChildren) \"/\" Shared",
            "(\\HasNoChildren) \"/\" Shared/Projects",
            "(\\HasNoChildren \\Trash) \"/\" Trash",
            "(\\HasChildren) \"/\" q",
            "(\\HasNoChildren) \"/\" q/c",
        ])
    );
}

#[tokio::test]
async fn rename_to_an_existing_name() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    c.command("a CREATE Old").await;
    assert_eq!(
        c.command("b RENAME Old Sent").await,
        "b NO [ALREADYEXISTS] the mailbox already exists\r\n"
    );
    assert_eq!(
        c.command("c RENAME Old inbox").await,
        "c NO [ALREADYEXISTS] INBOX always exists\r\n"
    );
}

#[tokio::test]
async fn rename_a_missing_mailbox() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    assert_eq!(
        c.command("a RENAME Nowhere Somewhere").await,
        "a NO [NONEXISTENT] no such mailbox\r\n"
    );
}

#[tokio::test]
async fn rename_keeps_uids_and_uidvalidity() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    c.command("a CREATE Old").await;
    server.deliver("Old", &message("one"));
    c.command("b SELECT Old").await;
    c.command("c UNSELECT").await;
    c.command("d RENAME Old New").await;
    assert_eq!(
        c.command("e SELECT New").await,
        selected("e", 1, 0, Some(1), 2)
    );
}

#[tokio::test]
async fn rename_inbox_moves_its_messages_and_leaves_it_empty() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    server.deliver("INBOX", &message("one"));
    server.deliver("INBOX", &message("two"));
    c.command("b SELECT INBOX").await;
    c.command("c UNSELECT").await;
    assert_eq!(
        c.command("d RENAME INBOX Old-Mail").await,
        "d OK RENAME completed\r\n"
    );
    assert_eq!(
        c.command("e SELECT Old-Mail").await,
        selected("e", 2, 0, Some(1), 3)
    );
    // INBOX is a new, empty mailbox: its UIDVALIDITY differs from the old one.
    let answer = c.command("f SELECT INBOX").await;
    assert_eq!(
        answer,
        selected("f", 0, 0, None, 1).replace(
            &format!("[UIDVALIDITY {VALIDITY}]"),
            &format!("[UIDVALIDITY {}]", VALIDITY + 1)
        )
    );
}

#[tokio::test]
async fn rename_inbox_leaves_its_inferiors_alone() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    c.command("a CREATE INBOX/Sub").await;
    c.command("b RENAME INBOX Old-Mail").await;
    // RFC 3501 §6.3.5: inferior hierarchical names of INBOX are unaffected.
    assert_eq!(
        list(&mut c, "*Sub").await,
        listed(&["(\\HasNoChildren) \"/\" INBOX/Sub"])
    );
}

// ---------------------------------------------------------------------------------------
// SUBSCRIBE, UNSUBSCRIBE, LSUB

const ALICE_DEFAULT_LSUB: &[&str] = &[
    "(\\HasNoChildren \\Drafts) \"/\" Drafts",
    "(\\HasNoChildren) \"/\" INBOX",
    "(\\HasNoChildren \\Junk) \"/\" Junk",
    "(\\HasNoChildren \\Sent) \"/\" Sent",
    "(\\HasNoChildren \\Trash) \"/\" Trash",
];

fn lsubbed(tag: &str, lines: &[&str]) -> String {
    let mut out: String = lines.iter().map(|l| format!("* LSUB {l}\r\n")).collect();
    out.push_str(&format!("{tag} OK LSUB completed\r\n"));
    out
}

#[tokio::test]
async fn personal_mailboxes_are_subscribed_by_default() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    assert_eq!(
        c.command("a LSUB \"\" \"*\"").await,
        lsubbed("a", ALICE_DEFAULT_LSUB)
    );
}

#[tokio::test]
async fn subscribe_and_unsubscribe() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    assert_eq!(
        c.command("a SUBSCRIBE Shared/Projects").await,
        "a OK SUBSCRIBE completed\r\n"
    );
    assert_eq!(
        c.command("b UNSUBSCRIBE Junk").await,
        "b OK UNSUBSCRIBE completed\r\n"
    );
    assert_eq!(
        c.command("c LSUB \"\" \"*\"").await,
        lsubbed(
            "c",
            &[
                "(\\HasNoChildren \\Drafts) \"/\" Drafts",
                "(\\HasNoChildren) \"/\" INBOX",
                "(\\HasNoChildren \\Sent) \"/\" Sent",
                "() \"/\" Shared/Projects",
                "(\\HasNoChildren \\Trash) \"/\" Trash",
            ]
        )
    );
}

#[tokio::test]
async fn lsub_percent_shows_an_unsubscribed_parent_as_noselect() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    c.command("a SUBSCRIBE Shared/Projects").await;
    assert_eq!(
        c.command("b LSUB \"\" \"%\"").await,
        lsubbed(
            "b",
            &[
                "(\\HasNoChildren \\Drafts) \"/\" Drafts",
                "(\\HasNoChildren) \"/\" INBOX",
                "(\\HasNoChildren \\Junk) \"/\" Junk",
                "(\\HasNoChildren \\Sent) \"/\" Sent",
                "(\\Noselect) \"/\" Shared",
                "(\\HasNoChildren \\Trash) \"/\" Trash",
            ]
        )
    );
    assert_eq!(
        c.command("c LSUB \"Shared/\" \"%\"").await,
        lsubbed("c", &["() \"/\" Shared/Projects"])
    );
}

#[tokio::test]
async fn subscribe_to_a_missing_mailbox() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    assert_eq!(
        c.command("a SUBSCRIBE Nowhere").await,
        "a NO [NONEXISTENT] No such mailbox\r\n"
    );
}

#[tokio::test]
async fn a_subscription_outlives_its_mailbox() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    c.command("a CREATE Temp").await;
    c.command("b SUBSCRIBE Temp").await;
    c.command("c DELETE Temp").await;
    assert_eq!(
        c.command("d LSUB \"\" Temp").await,
        lsubbed("d", &["() \"/\" Temp"])
    );
}

// ---------------------------------------------------------------------------------------
// LIST

#[tokio::test]
async fn list_everything() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    assert_eq!(
        list(&mut c, "\"*\"").await,
        format!("{ALICE_ALL}l OK LIST completed\r\n")
    );
}

#[tokio::test]
async fn list_percent_stays_on_the_top_level() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    assert_eq!(
        list(&mut c, "%").await,
        listed(&[
            "(\\HasNoChildren) \"/\" INBOX",
            "(\\HasNoChildren \\Drafts) \"/\" Drafts",
            "(\\HasNoChildren \\Junk) \"/\" Junk",
            "(\\HasNoChildren \\Sent) \"/\" Sent",
            "(\\HasChildren) \"/\" Shared",
            "(\\HasNoChildren \\Trash) \"/\" Trash",
        ])
    );
    assert_eq!(
        list(&mut c, "Shared/%").await,
        listed(&["(\\HasNoChildren) \"/\" Shared/Projects"])
    );
}

#[tokio::test]
async fn list_with_a_reference() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    assert_eq!(
        c.command("l LIST Shared/ %").await,
        listed(&["(\\HasNoChildren) \"/\" Shared/Projects"])
    );
    assert_eq!(
        c.command("l LIST \"Shared/\" \"*\"").await,
        listed(&["(\\HasNoChildren) \"/\" Shared/Projects"])
    );
}

#[tokio::test]
async fn list_empty_pattern_gives_the_delimiter() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    assert_eq!(
        list(&mut c, "\"\"").await,
        listed(&["(\\Noselect) \"/\" \"\""])
    );
}

#[tokio::test]
async fn list_inbox_in_any_case() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    assert_eq!(
        list(&mut c, "inbox").await,
        listed(&["(\\HasNoChildren) \"/\" INBOX"])
    );
}

#[tokio::test]
async fn list_names_are_case_sensitive() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    assert_eq!(list(&mut c, "sent").await, listed(&[]));
}

#[tokio::test]
async fn list_pattern_characters_other_than_wildcards_are_literal() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    for name in ["a.b", "axb", "\"c[d]\"", "cd", "\"e(f)+\"", "ef"] {
        assert_eq!(
            c.command(&format!("a CREATE {name}")).await,
            "a OK CREATE completed\r\n"
        );
    }
    assert_eq!(
        list(&mut c, "a.b").await,
        listed(&["(\\HasNoChildren) \"/\" a.b"])
    );
    assert_eq!(
        list(&mut c, "\"a.*\"").await,
        listed(&["(\\HasNoChildren) \"/\" a.b"])
    );
    // `]` may appear in an astring (RFC 3501 ASTRING-CHAR), so the name goes out unquoted.
    assert_eq!(
        list(&mut c, "\"c[d]\"").await,
        listed(&["(\\HasNoChildren) \"/\" c[d]"])
    );
    assert_eq!(
        list(&mut c, "\"e(f)+\"").await,
        listed(&["(\\HasNoChildren) \"/\" \"e(f)+\""])
    );
    assert_eq!(list(&mut c, "\"^.*$\"").await, listed(&[]));
}

/// A mailbox named `NIL` (any case) goes out quoted in LIST, LSUB and STATUS: as an atom,
/// parsers read it as the nil value (mbsync 1.4 then rejects the whole LIST and syncs nothing).
#[tokio::test]
async fn a_mailbox_named_nil_is_quoted() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    assert_eq!(c.command("a CREATE NIL").await, "a OK CREATE completed\r\n");
    assert_eq!(
        c.command("b CREATE \"nil/Nil\"").await,
        "b OK CREATE completed\r\n"
    );
    assert_eq!(
        list(&mut c, "\"N*\"").await,
        listed(&["(\\HasNoChildren) \"/\" \"NIL\""])
    );
    assert_eq!(
        list(&mut c, "n*").await,
        listed(&[
            "(\\HasChildren) \"/\" \"nil\"",
            "(\\HasNoChildren) \"/\" nil/Nil",
        ])
    );
    assert_eq!(
        c.command("c LSUB \"\" \"N%\"").await,
        "* LSUB (\\HasNoChildren) \"/\" \"NIL\"\r\nc OK LSUB completed\r\n"
    );
    assert_eq!(
        c.command("d STATUS nil (MESSAGES)").await,
        "* STATUS \"nil\" (MESSAGES 0)\r\nd OK STATUS completed\r\n"
    );
}

#[tokio::test]
async fn list_a_missing_name() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    assert_eq!(list(&mut c, "Nowhere").await, listed(&[]));
    assert_eq!(list(&mut c, "Nowhere/%").await, listed(&[]));
}

#[tokio::test]
async fn list_shows_noselect_mailboxes() {
    let server = TestServer::start().await;
    server.repository.set_selectable("Shared", false);
    let mut c = server.alice().await;
    assert_eq!(
        list(&mut c, "Shared").await,
        listed(&["(\\Noselect \\HasChildren) \"/\" Shared"])
    );
    assert_eq!(
        c.command("a SELECT Shared").await,
        "a NO [CANNOT] This mailbox cannot be selected\r\n"
    );
}

#[tokio::test]
async fn list_return_special_use_as_ios_mail_sends_it() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    assert_eq!(
        c.command("l LIST \"\" \"*\" RETURN (SPECIAL-USE)").await,
        format!("{ALICE_ALL}l OK LIST completed\r\n")
    );
    assert_eq!(
        c.command("l LIST \"\" \"*\" RETURN (CHILDREN)").await,
        format!("{ALICE_ALL}l OK LIST completed\r\n")
    );
}

#[tokio::test]
async fn list_selecting_special_use_mailboxes() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    assert_eq!(
        c.command("l LIST (SPECIAL-USE) \"\" \"*\"").await,
        format!("{ALICE_SPECIAL}l OK LIST completed\r\n")
    );
    assert_eq!(
        c.command("l LIST (SPECIAL-USE) \"\" \"*\" RETURN (SPECIAL-USE)")
            .await,
        format!("{ALICE_SPECIAL}l OK LIST completed\r\n")
    );
}

#[tokio::test]
async fn list_selecting_special_use_with_a_literal_pattern() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    c.send(b"l LIST (SPECIAL-USE) \"\" {1}\r\n").await;
    assert_eq!(c.read_line().await, "+ Ready for literal data\r\n");
    c.send(b"*\r\n").await;
    assert_eq!(
        c.read_tagged("l").await,
        format!("{ALICE_SPECIAL}l OK LIST completed\r\n")
    );
    c.send(b"l LIST \"\" {1+}\r\n* RETURN (SPECIAL-USE)\r\n")
        .await;
    assert_eq!(
        c.read_tagged("l").await,
        format!("{ALICE_ALL}l OK LIST completed\r\n")
    );
}

#[tokio::test]
async fn list_extended_forms_that_are_not_supported_are_bad() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    assert_eq!(
        c.command("l LIST \"\" \"*\" RETURN (STATUS (MESSAGES))")
            .await,
        "l BAD Invalid command syntax\r\n"
    );
    assert_eq!(
        c.command("l LIST (REMOTE) \"\" \"*\"").await,
        "l BAD Invalid command syntax\r\n"
    );
}

#[tokio::test]
async fn list_as_bob_shows_only_what_bob_may_see() {
    let server = TestServer::start().await;
    let mut alice = server.alice().await;
    alice.command("a CREATE Private").await;
    let mut bob = server.bob().await;
    assert_eq!(
        list(&mut bob, "%").await,
        listed(&[
            "(\\HasNoChildren) \"/\" INBOX",
            "(\\HasNoChildren \\Drafts) \"/\" Drafts",
            "(\\HasNoChildren \\Junk) \"/\" Junk",
            "(\\HasNoChildren \\Sent) \"/\" Sent",
            "(\\HasChildren) \"/\" Shared",
            "(\\HasNoChildren \\Trash) \"/\" Trash",
        ])
    );
}

// ---------------------------------------------------------------------------------------
// STATUS

#[tokio::test]
async fn status_with_every_item() {
    let server = TestServer::start().await;
    server.deliver("INBOX", &message("one"));
    server.deliver("INBOX", &message("two"));
    server.deliver("INBOX", &message("three"));
    let mut c = server.alice().await;
    assert_eq!(
        c.command("a STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)")
            .await,
        format!(
            "* STATUS INBOX (MESSAGES 3 RECENT 3 UIDNEXT 4 UIDVALIDITY {VALIDITY} UNSEEN 3)\r\n\
             a OK STATUS completed\r\n"
        )
    );
    assert_eq!(
        c.command("b STATUS inbox (UIDNEXT MESSAGES)").await,
        "* STATUS INBOX (UIDNEXT 4 MESSAGES 3)\r\nb OK STATUS completed\r\n"
    );
}

#[tokio::test]
async fn status_counts_unseen_per_user() {
    let server = TestServer::start().await;
    server
        .repository
        .deliver(None, "Shared/Projects", message("plan").as_bytes());
    let mut alice = server.alice().await;
    alice.command("a SELECT Shared/Projects").await;
    alice.command("b STORE 1 +FLAGS.SILENT (\\Seen)").await;
    assert_eq!(
        alice.command("c STATUS Shared/Projects (UNSEEN)").await,
        "* STATUS Shared/Projects (UNSEEN 0)\r\nc OK STATUS completed\r\n"
    );
    let mut bob = server.bob().await;
    assert_eq!(
        bob.command("d STATUS Shared/Projects (UNSEEN)").await,
        "* STATUS Shared/Projects (UNSEEN 1)\r\nd OK STATUS completed\r\n"
    );
}

#[tokio::test]
async fn status_of_a_modified_utf7_name_answers_with_that_name() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    c.command("a CREATE Entw&APw-rfe").await;
    assert_eq!(
        c.command("b STATUS Entw&APw-rfe (MESSAGES)").await,
        "* STATUS Entw&APw-rfe (MESSAGES 0)\r\nb OK STATUS completed\r\n"
    );
}

#[tokio::test]
async fn status_of_a_missing_mailbox() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    assert_eq!(
        c.command("a STATUS Nowhere (MESSAGES)").await,
        "a NO [NONEXISTENT] no such mailbox\r\n"
    );
}

#[tokio::test]
async fn status_of_a_noselect_mailbox() {
    let server = TestServer::start().await;
    server.repository.set_selectable("Shared", false);
    let mut c = server.alice().await;
    assert_eq!(
        c.command("a STATUS Shared (MESSAGES)").await,
        "a NO [CANNOT] This mailbox cannot be selected\r\n"
    );
}

// ---------------------------------------------------------------------------------------
// SELECT, EXAMINE, UNSELECT, CLOSE, CHECK

#[tokio::test]
async fn select_an_empty_mailbox() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    assert_eq!(
        c.command("a SELECT INBOX").await,
        selected("a", 0, 0, None, 1)
    );
}

#[tokio::test]
async fn select_with_a_literal_name_and_lower_case_command() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    c.send(b"a select {5}\r\n").await;
    assert_eq!(c.read_line().await, "+ Ready for literal data\r\n");
    c.send(b"inbox\r\n").await;
    assert_eq!(c.read_tagged("a").await, selected("a", 0, 0, None, 1));
}

#[tokio::test]
async fn select_a_mailbox_with_new_messages() {
    let server = TestServer::start().await;
    server.deliver("INBOX", &message("one"));
    server.deliver("INBOX", &message("two"));
    let mut c = server.alice().await;
    assert_eq!(
        c.command("a SELECT inbox").await,
        selected("a", 2, 2, Some(1), 3)
    );
}

#[tokio::test]
async fn examine_is_read_only() {
    let server = TestServer::start().await;
    server.deliver("INBOX", &message("one"));
    let mut c = server.alice().await;
    assert_eq!(
        c.command("a EXAMINE INBOX").await,
        format!(
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n\
             * OK [PERMANENTFLAGS ()] Flags permitted\r\n\
             * 1 EXISTS\r\n\
             * 1 RECENT\r\n\
             * OK [UNSEEN 1] First unseen\r\n\
             * OK [UIDVALIDITY {VALIDITY}] UIDs valid\r\n\
             * OK [UIDNEXT 2] Predicted next UID\r\n\
             a OK [READ-ONLY] EXAMINE completed\r\n"
        )
    );
    assert_eq!(
        c.command("b STORE 1 +FLAGS (\\Seen)").await,
        "b NO [CANNOT] The mailbox is open read-only (EXAMINE)\r\n"
    );
    assert_eq!(
        c.command("c EXPUNGE").await,
        "c NO [CANNOT] The mailbox is open read-only (EXAMINE)\r\n"
    );
}

#[tokio::test]
async fn select_a_read_only_shared_folder_as_bob() {
    let server = TestServer::start().await;
    server
        .repository
        .deliver(None, "Shared/Projects", message("plan").as_bytes());
    let mut bob = server.bob().await;
    assert_eq!(
        bob.command("a SELECT Shared/Projects").await,
        format!(
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n\
             * OK [PERMANENTFLAGS (\\Seen $Junk $NotJunk Junk NonJunk $Phishing)] Flags permitted\r\n\
             * 1 EXISTS\r\n\
             * 1 RECENT\r\n\
             * OK [UNSEEN 1] First unseen\r\n\
             * OK [UIDVALIDITY {VALIDITY}] UIDs valid\r\n\
             * OK [UIDNEXT 2] Predicted next UID\r\n\
             a OK [READ-WRITE] SELECT completed\r\n"
        )
    );
}

#[tokio::test]
async fn select_a_shared_folder_as_alice_who_may_do_everything() {
    let server = TestServer::start().await;
    let mut alice = server.alice().await;
    assert_eq!(
        alice.command("a SELECT Shared/Projects").await,
        selected("a", 0, 0, None, 1)
    );
}

#[tokio::test]
async fn select_shows_keywords_in_use() {
    let server = TestServer::start().await;
    server.deliver("INBOX", &message("one"));
    let mut c = server.alice().await;
    c.command("a SELECT INBOX").await;
    c.command("b STORE 1 +FLAGS.SILENT (\\Seen Work)").await;
    assert_eq!(
        c.command("c SELECT INBOX").await,
        format!(
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft Work)\r\n\
             * OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft Work \\*)] Flags permitted\r\n\
             * 1 EXISTS\r\n\
             * 0 RECENT\r\n\
             * OK [UIDVALIDITY {VALIDITY}] UIDs valid\r\n\
             * OK [UIDNEXT 2] Predicted next UID\r\n\
             c OK [READ-WRITE] SELECT completed\r\n"
        )
    );
}

#[tokio::test]
async fn select_a_missing_mailbox_deselects_the_current_one() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    c.command("a SELECT INBOX").await;
    assert_eq!(
        c.command("b SELECT Nowhere").await,
        "b NO [NONEXISTENT] no such mailbox\r\n"
    );
    assert_eq!(c.command("c CHECK").await, "c BAD No mailbox selected\r\n");
}

#[tokio::test]
async fn unselect_leaves_deleted_messages_alone() {
    let server = TestServer::start().await;
    server.deliver("INBOX", &message("one"));
    let mut c = server.alice().await;
    c.command("a SELECT INBOX").await;
    c.command("b STORE 1 +FLAGS.SILENT (\\Deleted)").await;
    assert_eq!(c.command("c UNSELECT").await, "c OK UNSELECT completed\r\n");
    assert_eq!(
        c.command("d STATUS INBOX (MESSAGES)").await,
        "* STATUS INBOX (MESSAGES 1)\r\nd OK STATUS completed\r\n"
    );
    assert_eq!(c.command("e CHECK").await, "e BAD No mailbox selected\r\n");
}

#[tokio::test]
async fn close_expunges_silently() {
    let server = TestServer::start().await;
    server.deliver("INBOX", &message("one"));
    server.deliver("INBOX", &message("two"));
    let mut c = server.alice().await;
    c.command("a SELECT INBOX").await;
    c.command("b STORE 1 +FLAGS.SILENT (\\Deleted)").await;
    assert_eq!(c.command("c CLOSE").await, "c OK CLOSE completed\r\n");
    assert_eq!(
        c.command("d STATUS INBOX (MESSAGES UIDNEXT)").await,
        "* STATUS INBOX (MESSAGES 1 UIDNEXT 3)\r\nd OK STATUS completed\r\n"
    );
    assert_eq!(c.command("e CHECK").await, "e BAD No mailbox selected\r\n");
}

#[tokio::test]
async fn close_after_examine_expunges_nothing() {
    let server = TestServer::start().await;
    server.deliver("INBOX", &message("one"));
    let mut c = server.alice().await;
    c.command("a SELECT INBOX").await;
    c.command("b STORE 1 +FLAGS.SILENT (\\Deleted)").await;
    c.command("c EXAMINE INBOX").await;
    assert_eq!(c.command("d CLOSE").await, "d OK CLOSE completed\r\n");
    assert_eq!(
        c.command("e STATUS INBOX (MESSAGES)").await,
        "* STATUS INBOX (MESSAGES 1)\r\ne OK STATUS completed\r\n"
    );
}

#[tokio::test]
async fn check_is_ok() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    c.command("a SELECT INBOX").await;
    assert_eq!(c.command("b CHECK").await, "b OK CHECK completed\r\n");
}

#[tokio::test]
async fn raw_utf8_in_a_quoted_name_is_bad() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    assert_eq!(
        c.command("a CREATE \"Entwürfe\"").await,
        "a BAD Invalid command syntax\r\n"
    );
}

#[tokio::test]
async fn raw_utf8_name_in_a_literal_is_accepted() {
    let server = TestServer::start().await;
    let mut c = server.alice().await;
    c.send("a CREATE {9+}\r\nEntwürfe\r\n".as_bytes()).await;
    assert_eq!(c.read_tagged("a").await, "a OK CREATE completed\r\n");
    assert_eq!(
        list(&mut c, "Entw*").await,
        listed(&["(\\HasNoChildren) \"/\" Entw&APw-rfe"])
    );
}
