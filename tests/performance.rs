//! REST-call budgets the benchmark found broken once (`docs/performance.md`): counted, never
//! timed. The product end to end against the emulator (demo seed).

mod common;

use std::time::Duration;

use alfresco_imap::emulator::{Exchange, Fault};
use common::alfresco::{AlfrescoServer, exists, fetched_uids, tagged};

const NODE: (&str, &str) = ("GET", "/nodes/{nodeId}");
const CHILDREN: (&str, &str) = ("GET", "/nodes/{nodeId}/children");

/// Calls to one endpoint so far.
fn calls(server: &AlfrescoServer, (method, route): (&str, &str)) -> u64 {
    server
        .backend
        .client()
        .metrics()
        .snapshot()
        .calls(method, route)
}

/// Adds `fan_out` folders per level, `levels` deep, below `parent`; returns how many.
fn add_tree(server: &AlfrescoServer, parent: &str, fan_out: usize, levels: usize) -> usize {
    let mut level = vec![parent.to_owned()];
    let mut made = 0;
    for depth in 0..levels {
        let mut next = Vec::new();
        for parent in &level {
            for i in 0..fan_out {
                let id = server
                    .emulator
                    .create_folder(parent, &format!("Level {depth} {i}"), "admin")
                    .expect("folder created");
                next.push(id);
                made += 1;
            }
        }
        level = next;
    }
    made
}

/// `LIST "" "*"` walked the tree by name and looked every folder with children up again
/// (one `GET /nodes/{id}?relativePath=` each): a tree of 5 000 folders cost over 6 000 calls
/// cold and over 1 000 warm. The folders a listing showed are now remembered per user.
#[tokio::test]
async fn listing_a_tree_does_not_look_up_each_folder_again() {
    let server = AlfrescoServer::start().await;
    let library = server
        .emulator
        .node_id("Sites/marketing/documentLibrary")
        .expect("marketing library");
    let made = add_tree(&server, &library, 3, 3);
    assert_eq!(made, 39);

    let mut first = server.login("alice").await;
    let nodes_before = calls(&server, NODE);
    let children_before = calls(&server, CHILDREN);
    let answer = first.command("a LIST \"\" \"*\"").await;
    assert!(answer.ends_with("a OK LIST completed\r\n"), "{answer}");
    assert!(
        answer.contains("documentLibrary/Level 0 2/Level 1 2/Level 2 2\"\r\n"),
        "{answer}"
    );
    let listed = answer.lines().filter(|l| l.starts_with("* LIST")).count() as u64;
    let node_lookups = calls(&server, NODE) - nodes_before;
    let listings = calls(&server, CHILDREN) - children_before;
    // One children listing per mailbox shown (to know whether it has children), and the
    // lookups of the mount points' roots, not one lookup per folder.
    assert!(
        listings <= listed,
        "{listings} listings for {listed} mailboxes"
    );
    assert!(
        node_lookups <= 3,
        "{node_lookups} node lookups for {listed} mailboxes"
    );

    // A second session of the same user within the cache's lifetime lists from memory.
    let mut second = server.login("alice").await;
    let nodes_before = calls(&server, NODE);
    let children_before = calls(&server, CHILDREN);
    let again = second.command("b LIST \"\" \"*\"").await;
    assert_eq!(
        again.replace("b OK", "a OK"),
        answer,
        "the warm listing is the same"
    );
    assert_eq!(calls(&server, CHILDREN) - children_before, 0);
    assert!(calls(&server, NODE) - nodes_before <= 1);

    // LSUB walks the same tree: no lookup per folder either.
    let nodes_before = calls(&server, NODE);
    let lsub = second.command("c LSUB \"\" \"*\"").await;
    assert!(lsub.ends_with("c OK LSUB completed\r\n"), "{lsub}");
    assert!(calls(&server, NODE) - nodes_before <= 6);
}

/// Permissions differ per user: what one user's listing showed is not reused for another.
#[tokio::test]
async fn remembered_folders_are_per_user() {
    let server = AlfrescoServer::start().await;
    let library = server
        .emulator
        .node_id("Sites/marketing/documentLibrary")
        .expect("marketing library");
    add_tree(&server, &library, 2, 2);
    let mut alice = server.login("alice").await;
    let answer = alice.command("a LIST \"\" \"*\"").await;
    assert!(
        answer.contains("documentLibrary/Level 0 1/Level 1 1\"\r\n"),
        "{answer}"
    );
    let children_before = calls(&server, CHILDREN);
    let mut bob = server.login("bob").await;
    let answer = bob.command("b LIST \"\" \"*\"").await;
    assert!(answer.ends_with("b OK LIST completed\r\n"), "{answer}");
    assert!(
        calls(&server, CHILDREN) > children_before,
        "bob's listing asked the repository as bob"
    );
}

const DOCLIB: &str = "Sites/marketing/documentLibrary";
const DOCLIB_MAILBOX: &str = "Alfresco IMAP/Sites/marketing/documentLibrary";

/// Full listings of the files of `folder` (pages of `GET nodes/{id}/children` for files, not
/// the one-item change check), as the emulator recorded them.
fn file_listings(server: &AlfrescoServer, folder: &str) -> usize {
    let path = format!("/nodes/{folder}/children");
    server
        .emulator
        .recorded()
        .iter()
        .filter(|x| x.request.method == "GET" && x.request.path.ends_with(&path))
        .filter(|x| {
            let query = &x.request.query;
            query
                .iter()
                .any(|(k, v)| k == "where" && v.contains("isFile"))
                && !query.iter().any(|(k, v)| k == "maxItems" && v == "1")
        })
        .count()
}

/// Request coalescing (issue 7): sessions of one user opening the same folder at the same
/// moment cause one listing of it, not one each. Per user: another user's SELECT lists it
/// again as that user. Counted in the emulator's record, never timed (the delay only keeps
/// the first listing in flight while the others arrive).
#[tokio::test]
async fn sessions_opening_one_folder_at_once_list_it_once() {
    let server = AlfrescoServer::start().await;
    let folder = server.id(DOCLIB);
    let mut sessions = Vec::new();
    for _ in 0..6 {
        sessions.push(server.login("alice").await);
    }
    let slow = server.emulator.add_fault(Fault::delay(
        Some("GET"),
        &format!("/nodes/{folder}/children"),
        Duration::from_millis(300),
    ));
    let before = file_listings(&server, &folder);
    let select = format!("s SELECT \"{DOCLIB_MAILBOX}\"");
    let answers = futures::future::join_all(sessions.iter_mut().map(|c| c.command(&select))).await;
    for answer in &answers {
        assert!(tagged(answer).starts_with("s OK"), "{answer}");
    }
    let counts: Vec<u32> = answers.iter().map(|a| exists(a)).collect();
    assert!(counts[0] > 0, "{counts:?}");
    assert!(counts.iter().all(|n| *n == counts[0]), "{counts:?}");
    assert_eq!(file_listings(&server, &folder) - before, 1);

    // Permissions differ: bob's SELECT is bob's own listing.
    server.emulator.remove_fault(slow);
    let mut bob = server.login("bob").await;
    let before = file_listings(&server, &folder);
    let answer = bob.command(&select).await;
    assert!(tagged(&answer).starts_with("s OK"), "{answer}");
    assert_eq!(file_listings(&server, &folder) - before, 1);
}

/// A listing alice's sessions made moments ago is reused to open the folder again, after
/// one change check; a document added meanwhile makes the check fail and the folder is
/// listed again, so the new SELECT shows it.
#[tokio::test]
async fn a_recent_listing_is_reused_only_while_the_folder_is_unchanged() {
    let server = AlfrescoServer::start().await;
    let folder = server.id(DOCLIB);
    let mut first = server.login("alice").await;
    let select = format!("s SELECT \"{DOCLIB_MAILBOX}\"");
    let answer = first.command(&select).await;
    let shown = exists(&answer);
    let before = file_listings(&server, &folder);
    let mut second = server.login("alice").await;
    let again = second.command(&select).await;
    assert_eq!(exists(&again), shown);
    assert_eq!(
        file_listings(&server, &folder),
        before,
        "reused, not listed"
    );

    server
        .emulator
        .create_file(&folder, "added-meanwhile.txt", b"new".to_vec(), "alice")
        .expect("file created");
    let mut third = server.login("alice").await;
    let after = third.command(&select).await;
    assert_eq!(exists(&after), shown + 1, "{after}");
    assert_eq!(file_listings(&server, &folder), before + 1);
}

/// One recorded request as `METHOD route?param=value`: node ids become `{id}` and only the
/// parameters that say what was asked for (`relativePath`, `where`, `maxItems`) are kept.
fn described(exchange: &Exchange) -> String {
    let request = &exchange.request;
    let path = request
        .path
        .split_once("/versions/1")
        .map(|(_, route)| route)
        .unwrap_or(&request.path);
    let mut segments = Vec::new();
    let mut after_nodes = false;
    for segment in path.split('/') {
        let id = after_nodes && !segment.starts_with('-');
        segments.push(if id { "{id}" } else { segment });
        after_nodes = segment == "nodes";
    }
    let mut text = format!("{} {}", request.method, segments.join("/"));
    let kept: Vec<String> = request
        .query
        .iter()
        .filter(|(k, _)| matches!(k.as_str(), "relativePath" | "where" | "maxItems"))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    if !kept.is_empty() {
        text.push('?');
        text.push_str(&kept.join("&"));
    }
    text
}

/// The requests recorded since the last call.
fn requests_since(server: &AlfrescoServer) -> Vec<String> {
    server
        .emulator
        .take_recorded()
        .iter()
        .map(described)
        .collect()
}

/// Issue 7's cold budget: LOGIN and SELECT of a site folder with empty caches make only the
/// calls they need. LOGIN finds the home and its root in one lookup and leaves INBOX and the
/// special folders to the first look into the home; SELECT looks the folder up with the
/// mount's path in one call, skips what only LIST shows (children, favourite sites), and
/// finds and lists the repository's templates folder in one call. A second session reuses
/// what the first one learnt.
#[tokio::test]
async fn a_cold_login_and_select_make_only_the_calls_they_need() {
    let server = AlfrescoServer::start().await;
    let _ = requests_since(&server);
    let mut first = server.login("alice").await;
    assert_eq!(
        requests_since(&server),
        [
            "POST /tickets",
            "GET /people/-me-",
            "GET /nodes/-root-?relativePath=Imap Home/alice",
        ]
    );
    let select = format!("s SELECT \"{DOCLIB_MAILBOX}\"");
    let answer = first.command(&select).await;
    assert!(tagged(&answer).starts_with("s OK"), "{answer}");
    assert_eq!(
        requests_since(&server),
        [
            "GET /nodes/-root-?relativePath=Sites/marketing/documentLibrary",
            "GET /nodes/-root-/children?maxItems=100&where=(isFile=true)&relativePath=Data Dictionary/Imap Configs/Templates",
            "GET /nodes/{id}/children?maxItems=1000&where=(isFile=true)",
        ]
    );

    let mut second = server.login("alice").await;
    let again = second.command(&select).await;
    assert_eq!(exists(&again), exists(&answer));
    assert_eq!(
        requests_since(&server),
        [
            "POST /tickets",
            "GET /people/-me-",
            "GET /nodes/{id}?relativePath=alice",
            "GET /nodes/-root-?relativePath=Sites/marketing/documentLibrary",
            "GET /nodes/{id}/children?maxItems=1&where=(isFile=true)",
        ]
    );
}

/// INBOX and the special folders are made the first time a session looks into the home
/// (here LIST), not at LOGIN: a missing one is still created, once per login.
#[tokio::test]
async fn missing_special_folders_are_made_when_the_home_is_first_looked_into() {
    let server = AlfrescoServer::start().await;
    let junk = server.id("Imap Home/alice/Junk");
    server
        .emulator
        .delete_node(&junk, "alice", true)
        .expect("Junk deleted");
    let mut c = server.login("alice").await;
    let answer = c.command(&format!("s SELECT \"{DOCLIB_MAILBOX}\"")).await;
    assert!(tagged(&answer).starts_with("s OK"), "{answer}");
    assert!(!server.names("Imap Home/alice").contains(&"Junk".to_owned()));
    let list = c.command("l LIST \"\" \"%\"").await;
    assert!(
        list.contains("* LIST (\\HasNoChildren \\Junk) \"/\" Junk\r\n"),
        "{list}"
    );
    assert!(server.names("Imap Home/alice").contains(&"Junk".to_owned()));
    let _ = requests_since(&server);
    let list = c.command("m LIST \"\" \"%\"").await;
    assert!(tagged(&list).starts_with("m OK"), "{list}");
    assert!(
        !requests_since(&server)
            .iter()
            .any(|r| r.starts_with("POST")),
        "nothing is created twice"
    );
}

/// NOOP after one document changed (issue 7) read the whole folder again. The change check
/// lists files newest first, so when the folder holds as many files as before, the files
/// modified since the last listing are read on their own (one call) and applied to it: the
/// session ends up exactly where a full listing would have put it.
#[tokio::test]
async fn a_noop_after_one_change_reads_only_the_changed_document() {
    let server = AlfrescoServer::start().await;
    let folder = "Sites/marketing/documentLibrary/Campaigns/Spring 2026";
    let mailbox = format!("\"Alfresco IMAP/{folder}\"");
    let document = server.id(&format!("{folder}/Spring Campaign Brief.docx"));
    let mut c = server.login("alice").await;
    let answer = c.command(&format!("s SELECT {mailbox}")).await;
    assert!(tagged(&answer).starts_with("s OK"), "{answer}");
    let shown = exists(&answer);
    assert!(shown >= 2, "{answer}");
    let before = fetched_uids(&c.command("f UID FETCH 1:* (UID)").await);

    server
        .emulator
        .set_property(
            &document,
            "cm:title",
            serde_json::json!("Spring Campaign Brief, revised"),
            "alice",
        )
        .expect("title changed");
    let _ = requests_since(&server);
    let noop = c.command("n NOOP").await;
    assert!(tagged(&noop).starts_with("n OK"), "{noop}");
    assert_eq!(
        requests_since(&server),
        [
            "GET /nodes/{id}/children?maxItems=1&where=(isFile=true)",
            "GET /nodes/{id}/children?maxItems=100&where=(isFile=true)",
            "GET /nodes/{id}",
        ],
        "the check, the changed files, where the old message's node is"
    );
    // The changed document is a new message (its identity changed): the old UID is
    // expunged and a new one exists.
    assert!(noop.contains(" EXPUNGE\r\n"), "{noop}");
    assert!(noop.contains(&format!("* {shown} EXISTS\r\n")), "{noop}");
    let after = fetched_uids(&c.command("g UID FETCH 1:* (UID)").await);
    assert_eq!(after.len(), before.len());
    assert!(after.iter().max() > before.iter().max());

    // A full listing in a new session shows the same messages.
    let mut fresh = server.login("alice").await;
    let answer = fresh.command(&format!("s SELECT {mailbox}")).await;
    assert_eq!(exists(&answer), shown);
    assert_eq!(
        fetched_uids(&fresh.command("f UID FETCH 1:* (UID)").await),
        after
    );
}
