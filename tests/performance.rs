//! REST-call budgets the benchmark found broken once (`docs/performance.md`): counted, never
//! timed. The product end to end against the emulator (demo seed).

mod common;

use common::alfresco::AlfrescoServer;

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
