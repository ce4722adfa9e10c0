//! The Alfresco backend keeping its UIDs and listings honest and cheap (emulator over HTTP,
//! demo seed): the repository's own metadata extraction after an APPEND does not renumber the
//! message; LIST and LSUB create no UID maps; the full resync of a selected mailbox runs at
//! `imap.sidecar.resync.intervalMs`; listings ask the repository with the configured page size
//! and the query the design gives (the exact query strings the emulator received).

mod common;

use std::time::Duration;

use alfresco_imap::emulator::{Ace, EmulatorOptions, Exchange};
use common::alfresco::{
    AlfrescoServer, append, exists, files_oldest_first, sample_email, select, tagged, uid_validity,
};
use common::product::{Product, fast_emulator};
use serde_json::json;

const DOCLIB: &str = "Sites/marketing/documentLibrary";
const DOCLIB_MAILBOX: &str = "Alfresco IMAP/Sites/marketing/documentLibrary";

/// The query string of a recorded request, as `key=value&...` in the order sent.
fn query(exchange: &Exchange) -> String {
    exchange
        .request
        .query
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// The query strings of the `GET nodes/{id}/children` requests recorded so far.
fn children_queries(exchanges: &[Exchange], id: &str) -> Vec<String> {
    let path = format!("/nodes/{id}/children");
    exchanges
        .iter()
        .filter(|x| x.request.method == "GET" && x.request.path.ends_with(&path))
        .map(query)
        .collect()
}

// ---------------------------------------------------------------------------------------
// Metadata extraction after APPEND

#[tokio::test]
async fn metadata_extraction_after_append_keeps_the_uid() {
    let server = AlfrescoServer::start().await;
    let mut c = server.login("alice").await;
    let validity = uid_validity(&select(&mut c, "INBOX").await);
    let before = server.names("Imap Home/alice/INBOX");
    let email = sample_email("Budget 2027", "budget-2027@example.de");
    let answer = append(&mut c, "a", "INBOX", "", &email).await;
    assert_eq!(
        tagged(&answer),
        format!("a OK [APPENDUID {validity} 7] APPEND completed")
    );
    let name = server
        .names("Imap Home/alice/INBOX")
        .into_iter()
        .find(|n| !before.contains(n))
        .expect("the new node");
    let id = server.id(&format!("Imap Home/alice/INBOX/{name}"));
    let stored = server.emulator.node(&id).expect("node");

    // The repository's extractor runs later and rewrites what it reads from the content:
    // title, author, description; each write bumps `modifiedAt`.
    server
        .wait_until("metadata extraction ran", |e| {
            e.node(&id)
                .is_some_and(|n| n.modified_at > stored.modified_at)
                || e.node(&id)
                    .is_some_and(|n| n.props.contains_key("imap:messageSubject"))
        })
        .await;
    for (property, value) in [
        ("cm:title", "Budget 2027 (extracted)"),
        ("cm:author", "Jörg Müller"),
        ("cm:description", "Extracted from the message"),
    ] {
        server
            .emulator
            .set_property(&id, property, json!(value), "admin")
            .expect("property");
    }
    let changed = server.emulator.node(&id).expect("node");
    assert!(changed.modified_at > stored.modified_at);
    assert_eq!(changed.content, stored.content, "the bytes are the same");

    // The session that appended, a revalidation, a new session's full listing: UID 7 stays.
    let noop = c.command("n NOOP").await;
    assert!(!noop.contains("EXPUNGE"), "{noop}");
    assert_eq!(
        c.command("f UID FETCH 7 (UID RFC822.SIZE)").await,
        format!(
            "* 7 FETCH (UID 7 RFC822.SIZE {})\r\nf OK FETCH completed\r\n",
            email.len()
        )
    );
    let mut again = server.login("alice").await;
    let opened = select(&mut again, "INBOX").await;
    assert_eq!(uid_validity(&opened), validity);
    assert_eq!(exists(&opened), 7);
    assert!(opened.contains("[UIDNEXT 8]"), "{opened}");
    assert_eq!(
        again.command("f FETCH 7 (UID)").await,
        "* 7 FETCH (UID 7)\r\nf OK FETCH completed\r\n"
    );
    // One row for the node in the map, never a second identity.
    let mailboxes = server.store.mailboxes().await.expect("mailboxes");
    assert_eq!(mailboxes.len(), 1, "{mailboxes:?}");
    let snapshot = server
        .store
        .snapshot(mailboxes[0].record.id, "alice")
        .await
        .expect("map");
    let rows: Vec<_> = snapshot
        .messages
        .iter()
        .filter(|m| m.node_id == id)
        .map(|m| m.uid)
        .collect();
    assert_eq!(rows, [7]);
    server.check_contract("metadata_extraction_after_append_keeps_the_uid");
}

// ---------------------------------------------------------------------------------------
// LIST creates no UID maps

#[tokio::test]
async fn list_and_lsub_leave_the_state_store_untouched() {
    let server = AlfrescoServer::start().await;
    let mut c = server.login("alice").await;
    for command in [
        "l LIST \"\" \"*\"",
        "l LIST \"\" \"%\"",
        "l LIST \"\" \"Alfresco IMAP/Sites/*\"",
        "l LSUB \"\" \"*\"",
        "l LIST \"\" \"*\" RETURN (SPECIAL-USE)",
    ] {
        let answer = c.command(command).await;
        assert!(tagged(&answer).starts_with("l OK"), "{command}: {answer}");
    }
    assert_eq!(
        server.store.mailboxes().await.expect("mailboxes").len(),
        0,
        "LIST and LSUB create no mailbox rows and no UID maps"
    );

    // STATUS and EXAMINE do, one mailbox each.
    c.command("s STATUS INBOX (MESSAGES UIDNEXT)").await;
    assert_eq!(server.store.mailboxes().await.expect("mailboxes").len(), 1);
    let answer = c.command(&format!("e EXAMINE \"{DOCLIB_MAILBOX}\"")).await;
    assert!(tagged(&answer).starts_with("e OK"), "{answer}");
    let mailboxes = server.store.mailboxes().await.expect("mailboxes");
    assert_eq!(mailboxes.len(), 2, "{mailboxes:?}");
    // A later LIST adds nothing.
    c.command("l LIST \"\" \"*\"").await;
    assert_eq!(server.store.mailboxes().await.expect("mailboxes").len(), 2);
}

// ---------------------------------------------------------------------------------------
// The periodic full resync

/// Makes a change the cheap revalidation cannot see in bob's view of the library: one
/// document becomes invisible to him and another, hidden before, becomes visible, so the
/// number of files he sees and the newest `modifiedAt` stay the same (ACL changes do not touch
/// `modifiedAt`). Returns (hidden now, shown now).
fn swap_visibility(product: &Product, documents: &[String]) {
    let e = &product.emulator;
    e.set_permissions(
        &documents[0],
        false,
        vec![Ace::allow("alice", "Coordinator")],
    )
    .expect("hide");
    e.set_permissions(&documents[1], true, Vec::new())
        .expect("show");
}

/// The library's top-level documents in the order IMAP shows them (oldest first).
fn library_documents(product: &Product) -> Vec<String> {
    let doclib = product.emulator.node_id(DOCLIB).expect("library");
    files_oldest_first(&product.emulator, &doclib)
}

/// Bob, with marketing as his IMAP favourite, selects the library while the second-oldest
/// document is hidden from him; returns his connection and the number of messages he saw.
async fn bob_in_the_library(product: &Product) -> (common::client::RawClient, u32) {
    let e = &product.emulator;
    e.set_preference(
        "bob",
        "org.alfresco.share.sites.imapFavourites.marketing",
        Some(json!(true)),
    );
    let documents = library_documents(product);
    e.set_permissions(
        &documents[1],
        false,
        vec![Ace::allow("alice", "Coordinator")],
    )
    .expect("hide");
    let mut bob = product.user("bob").await;
    let opened = select(&mut bob, DOCLIB_MAILBOX).await;
    (bob, exists(&opened))
}

#[tokio::test]
async fn the_resync_interval_property_is_honoured() {
    // A long interval: the cheap call sees nothing, so nothing is reported.
    let product = Product::start(&["imap.sidecar.resync.intervalMs=3600000"]).await;
    let documents = library_documents(&product);
    let (mut bob, count) = bob_in_the_library(&product).await;
    assert_eq!(count, 3);
    swap_visibility(&product, &documents);
    assert_eq!(bob.command("n NOOP").await, "n OK NOOP completed\r\n");
    assert_eq!(
        bob.command("f FETCH 1:* (UID)").await,
        "* 1 FETCH (UID 1)\r\n* 2 FETCH (UID 2)\r\n* 3 FETCH (UID 3)\r\nf OK FETCH completed\r\n"
    );
    product.shutdown().await;

    // A short interval: once it has passed, the next NOOP lists the folder in full.
    let product = Product::start(&["imap.sidecar.resync.intervalMs=2"]).await;
    let documents = library_documents(&product);
    let (mut bob, count) = bob_in_the_library(&product).await;
    assert_eq!(count, 3);
    swap_visibility(&product, &documents);
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(
        bob.command("n NOOP").await,
        "* 1 EXPUNGE\r\n* 3 EXISTS\r\n* 3 RECENT\r\nn OK NOOP completed\r\n"
    );
    assert_eq!(
        bob.command("f FETCH 1:* (UID)").await,
        "* 1 FETCH (UID 2)\r\n* 2 FETCH (UID 3)\r\n* 3 FETCH (UID 4)\r\nf OK FETCH completed\r\n"
    );
    product.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// What listings ask the repository

#[tokio::test]
async fn listings_use_the_page_size_and_the_query_of_the_design() {
    let product = Product::start_with(
        EmulatorOptions {
            record: true,
            ..fast_emulator()
        },
        &["imap.sidecar.rest.pageSize=2"],
        false,
    )
    .await;
    let e = &product.emulator;
    let doclib = e.node_id(DOCLIB).expect("library");
    let inbox = e.node_id("Imap Home/alice/INBOX").expect("INBOX");
    let mut alice = product.user("alice").await;
    e.take_recorded();

    // SELECT of an ARCHIVE mailbox: the files, oldest first, in pages of two (its sub-folders
    // are LIST's business, not SELECT's).
    assert_eq!(exists(&select(&mut alice, "INBOX").await), 6);
    let listing = "skipCount={skip}&maxItems=2&orderBy=createdAt ASC&where=(isFile=true)\
                   &include=properties,aspectNames,allowableOperations";
    let pages = |count: usize| -> Vec<String> {
        (0..count)
            .map(|n| listing.replace("{skip}", &(n * 2).to_string()))
            .collect()
    };
    assert_eq!(children_queries(&e.take_recorded(), &inbox), pages(3));

    // NOOP: one small page by modifiedAt with the total, nothing else.
    assert_eq!(alice.command("n NOOP").await, "n OK NOOP completed\r\n");
    let recorded = e.take_recorded();
    assert_eq!(recorded.len(), 1, "{recorded:#?}");
    assert_eq!(
        children_queries(&recorded, &inbox),
        ["skipCount=0&maxItems=1&orderBy=modifiedAt DESC&where=(isFile=true)&fields=id,modifiedAt"]
    );

    // The MIXED library: its four files, two per page.
    select(&mut alice, DOCLIB_MAILBOX).await;
    assert_eq!(children_queries(&e.take_recorded(), &doclib), pages(2));
    product.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// A large e-mail's header is read with a Range

/// The `Range` header of a recorded request, if any.
fn range_of(exchange: &Exchange) -> Option<String> {
    exchange
        .request
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("range"))
        .map(|(_, value)| value.clone())
}

#[tokio::test]
async fn a_large_e_mails_header_is_read_with_a_range() {
    let server = AlfrescoServer::start().await;
    let inbox = server.id("Imap Home/alice/INBOX");
    let header = "From: Carol Clark <carol@partner.example>\r\n\
                  To: Alice Adams <alice@example.com>\r\n\
                  Subject: The big report\r\n\
                  Date: Wed, 11 Mar 2026 08:00:00 +0000\r\n\
                  Message-ID: <big-report@partner.example>\r\n\
                  MIME-Version: 1.0\r\n\
                  Content-Type: text/plain; charset=us-ascii\r\n\
                  \r\n";
    let line = "All figures of the year, line after line, for the whole company.\r\n";
    let lines = 5000;
    let email = format!("{header}{}", line.repeat(lines));
    let id = server
        .emulator
        .create_file(
            &inbox,
            "Message_big.eml",
            email.clone().into_bytes(),
            "alice",
        )
        .expect("file");
    server.emulator.with_repository(|r| {
        let node = r.node_mut(&id).expect("node");
        node.aspects.insert("imap:imapContent".into());
        if let Some(content) = node.content.as_mut() {
            content.mimetype = "message/rfc822".into();
        }
    });
    let mut c = server.login("alice").await;
    assert_eq!(exists(&select(&mut c, "INBOX").await), 7);
    let downloads = |server: &AlfrescoServer| -> Vec<Exchange> {
        server
            .emulator
            .take_recorded()
            .into_iter()
            .filter(|x| x.request.path.ends_with(&format!("/nodes/{id}/content")))
            .collect()
    };
    downloads(&server);

    let envelope = "ENVELOPE (\"Wed, 11 Mar 2026 08:00:00 +0000\" \"The big report\" \
                    ((\"Carol Clark\" NIL \"carol\" \"partner.example\")) \
                    ((\"Carol Clark\" NIL \"carol\" \"partner.example\")) \
                    ((\"Carol Clark\" NIL \"carol\" \"partner.example\")) \
                    ((\"Alice Adams\" NIL \"alice\" \"example.com\")) NIL NIL NIL \
                    \"<big-report@partner.example>\")";
    assert_eq!(
        c.command("f UID FETCH 7 (ENVELOPE BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            .await,
        format!(
            "* 7 FETCH (UID 7 {envelope} BODY[HEADER.FIELDS (SUBJECT)] {{27}}\r\n\
             Subject: The big report\r\n\r\n)\r\nf OK FETCH completed\r\n"
        )
    );
    let first = downloads(&server);
    assert_eq!(first.len(), 1);
    assert_eq!(range_of(&first[0]).as_deref(), Some("bytes=0-65535"));
    assert_eq!(first[0].response.status, 206);
    // The header is known now: no more downloads for header items.
    let answer = c.command("h UID FETCH 7 (RFC822.HEADER)").await;
    assert_eq!(
        answer,
        format!(
            "* 7 FETCH (UID 7 RFC822.HEADER {{{}}}\r\n{header})\r\nh OK FETCH completed\r\n",
            header.len()
        )
    );
    assert!(downloads(&server).is_empty());

    // The structure needs the whole message: read once, then kept.
    assert_eq!(
        c.command("b UID FETCH 7 (BODYSTRUCTURE ENVELOPE)").await,
        format!(
            "* 7 FETCH (UID 7 BODYSTRUCTURE (\"TEXT\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \
             \"7bit\" {} {lines} NIL NIL NIL NIL) {envelope})\r\nb OK FETCH completed\r\n",
            line.len() * lines
        )
    );
    let whole = downloads(&server);
    assert_eq!(whole.len(), 1);
    assert_eq!(range_of(&whole[0]), None);
    c.command("e UID FETCH 7 (ENVELOPE BODYSTRUCTURE)").await;
    assert!(downloads(&server).is_empty());
}
