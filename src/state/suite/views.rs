//! The shared reconciliation of listings into per-user views, on top of a store.

use super::{Factory, flags, item, mailbox, setup};
use crate::state::{FlagOp, FlagUpdate, ListedItem, StateStore, Uid, View, reconcile};

/// (UID, node id, identity) of every entry of a view, in UID order.
fn entries(view: &View, items: &[ListedItem]) -> Vec<(Uid, String, String)> {
    view.entries
        .iter()
        .map(|e| {
            let item = &items[e.item];
            (e.uid, item.node_id.clone(), item.identity.clone())
        })
        .collect()
}

fn entry(uid: Uid, node: &str, identity: &str) -> (Uid, String, String) {
    (uid, node.to_owned(), identity.to_owned())
}

async fn vanished(store: &dyn StateStore, mailbox: i64) -> Vec<Uid> {
    store
        .changes_since(mailbox, "nobody", 0)
        .await
        .unwrap()
        .vanished
}

pub(crate) async fn new_items_get_uids_in_arrival_order(factory: Factory) {
    let (_backing, store, _clock) = setup(factory).await;
    let mb = mailbox(&*store, "f1").await;
    let items = vec![item("c", "v", 30), item("a", "v", 10), item("b", "v", 20)];
    let view = reconcile(&*store, mb.id, "alice", &items, false)
        .await
        .unwrap();
    assert_eq!(
        entries(&view, &items),
        vec![entry(1, "a", "v"), entry(2, "b", "v"), entry(3, "c", "v")]
    );
    assert_eq!(
        view.entries.iter().map(|e| e.item).collect::<Vec<_>>(),
        vec![1, 2, 0]
    );
    assert_eq!(view.entries[0].pin.as_deref(), Some(&b"pin:a:v"[..]));
    assert_eq!(view.record.uid_next, 4);
    assert_eq!(view.recent, None);
    // An item that shows up later gets a higher UID even if it arrived earlier.
    let mut later = items.clone();
    later.push(item("z", "v", 5));
    let view = reconcile(&*store, mb.id, "alice", &later, false)
        .await
        .unwrap();
    assert_eq!(
        entries(&view, &later),
        vec![
            entry(1, "a", "v"),
            entry(2, "b", "v"),
            entry(3, "c", "v"),
            entry(4, "z", "v")
        ]
    );
}

pub(crate) async fn arrival_ties_are_broken_by_node_id(factory: Factory) {
    let (_backing, store, _clock) = setup(factory).await;
    let mb = mailbox(&*store, "f1").await;
    let items = vec![item("n2", "v", 5), item("n1", "v", 5), item("n3", "v", 1)];
    let view = reconcile(&*store, mb.id, "alice", &items, false)
        .await
        .unwrap();
    assert_eq!(
        entries(&view, &items),
        vec![
            entry(1, "n3", "v"),
            entry(2, "n1", "v"),
            entry(3, "n2", "v")
        ]
    );
}

pub(crate) async fn identity_change_gives_a_new_uid(factory: Factory) {
    let (_backing, store, _clock) = setup(factory).await;
    let mb = mailbox(&*store, "f1").await;
    let before = vec![item("n1", "size=10", 1), item("n2", "size=5", 2)];
    reconcile(&*store, mb.id, "alice", &before, false)
        .await
        .unwrap();
    let up = FlagUpdate {
        uids: vec![1],
        op: FlagOp::Add,
        flags: flags(&["\\Flagged", "$Label1", "\\Seen"]),
        unchanged_since: None,
    };
    store.store_flags(mb.id, "alice", &up).await.unwrap();
    let highest = store.snapshot(mb.id, "alice").await.unwrap().highest_modseq;

    let after = vec![item("n1", "size=12", 1), item("n2", "size=5", 2)];
    let view = reconcile(&*store, mb.id, "alice", &after, false)
        .await
        .unwrap();
    assert_eq!(
        entries(&view, &after),
        vec![entry(2, "n2", "size=5"), entry(3, "n1", "size=12")]
    );
    assert_eq!(view.entries[1].flags, flags(&["\\Flagged", "$Label1"]));
    assert_eq!(view.entries[1].pin.as_deref(), Some(&b"pin:n1:size=12"[..]));
    let changes = store.changes_since(mb.id, "alice", highest).await.unwrap();
    assert_eq!(changes.vanished, vec![1]);
    // Bob, whose listing shows the same, gets the same UID.
    let view = reconcile(&*store, mb.id, "bob", &after, false)
        .await
        .unwrap();
    assert_eq!(
        entries(&view, &after),
        vec![entry(2, "n2", "size=5"), entry(3, "n1", "size=12")]
    );
}

pub(crate) async fn users_see_only_their_own_listing(factory: Factory) {
    let (_backing, store, _clock) = setup(factory).await;
    let mb = mailbox(&*store, "f1").await;
    let alice_items = vec![item("n1", "v", 1), item("n2", "v", 2)];
    let bob_items = vec![item("n3", "v", 3), item("n2", "v", 2)];
    let alice = reconcile(&*store, mb.id, "alice", &alice_items, false)
        .await
        .unwrap();
    let bob = reconcile(&*store, mb.id, "bob", &bob_items, false)
        .await
        .unwrap();
    assert_eq!(
        entries(&alice, &alice_items),
        vec![entry(1, "n1", "v"), entry(2, "n2", "v")]
    );
    assert_eq!(
        entries(&bob, &bob_items),
        vec![entry(2, "n2", "v"), entry(3, "n3", "v")]
    );
    let again = reconcile(&*store, mb.id, "alice", &alice_items, false)
        .await
        .unwrap();
    assert_eq!(again.entries, alice.entries);
    assert_eq!(again.record.uid_next, 4);
    assert!(vanished(&*store, mb.id).await.is_empty());
    let live = store.snapshot(mb.id, "carol").await.unwrap().messages;
    assert_eq!(live.len(), 3);
}

pub(crate) async fn seen_is_private_in_views(factory: Factory) {
    let (_backing, store, _clock) = setup(factory).await;
    let mb = mailbox(&*store, "f1").await;
    let items = vec![item("n1", "v", 1)];
    reconcile(&*store, mb.id, "alice", &items, true)
        .await
        .unwrap();
    let up = FlagUpdate {
        uids: vec![1],
        op: FlagOp::Add,
        flags: flags(&["\\Seen"]),
        unchanged_since: None,
    };
    store.store_flags(mb.id, "alice", &up).await.unwrap();
    let alice = reconcile(&*store, mb.id, "alice", &items, true)
        .await
        .unwrap();
    let bob = reconcile(&*store, mb.id, "bob", &items, true)
        .await
        .unwrap();
    assert_eq!(alice.entries[0].flags, flags(&["\\Seen"]));
    assert_eq!(bob.entries[0].flags, flags(&[]));
    // Alice's reading is a change for alice only.
    assert!(alice.entries[0].modseq > bob.entries[0].modseq);
    assert!(alice.highest_modseq > bob.highest_modseq);
}

pub(crate) async fn imported_flags_apply_on_first_sight_only(factory: Factory) {
    let (_backing, store, _clock) = setup(factory).await;
    let mb = mailbox(&*store, "f1").await;
    let mut legacy = item("n1", "v", 1);
    legacy.imported_flags = flags(&["\\Flagged", "\\Seen", "\\Deleted", "$Label1"]);
    let items = vec![legacy];
    let view = reconcile(&*store, mb.id, "alice", &items, false)
        .await
        .unwrap();
    let everything = flags(&["\\Flagged", "\\Seen", "\\Deleted", "$Label1"]);
    assert_eq!(view.entries[0].flags, everything);
    let up = FlagUpdate {
        uids: vec![1],
        op: FlagOp::Remove,
        flags: flags(&["\\Flagged", "\\Seen", "\\Deleted"]),
        unchanged_since: None,
    };
    store.store_flags(mb.id, "alice", &up).await.unwrap();
    let alice = reconcile(&*store, mb.id, "alice", &items, false)
        .await
        .unwrap();
    assert_eq!(alice.entries[0].flags, flags(&["$Label1"]));
    let bob = reconcile(&*store, mb.id, "bob", &items, false)
        .await
        .unwrap();
    assert_eq!(bob.entries[0].flags, flags(&["\\Seen", "$Label1"]));
}

pub(crate) async fn restored_node_gets_a_new_uid(factory: Factory) {
    let (_backing, store, _clock) = setup(factory).await;
    let mb = mailbox(&*store, "f1").await;
    let items = vec![item("n1", "v", 1), item("n2", "v", 2)];
    reconcile(&*store, mb.id, "alice", &items, false)
        .await
        .unwrap();
    // n1 was deleted (the repository said 404), then restored from the trashcan.
    assert_eq!(store.retire(mb.id, &[1]).await.unwrap(), vec![1]);
    let without = vec![item("n2", "v", 2)];
    let view = reconcile(&*store, mb.id, "alice", &without, false)
        .await
        .unwrap();
    assert_eq!(entries(&view, &without), vec![entry(2, "n2", "v")]);
    let view = reconcile(&*store, mb.id, "alice", &items, false)
        .await
        .unwrap();
    assert_eq!(
        entries(&view, &items),
        vec![entry(2, "n2", "v"), entry(3, "n1", "v")]
    );
    assert_eq!(vanished(&*store, mb.id).await, vec![1]);
}

pub(crate) async fn duplicate_node_ids_keep_their_last_occurrence(factory: Factory) {
    let (_backing, store, _clock) = setup(factory).await;
    let mb = mailbox(&*store, "f1").await;
    let items = vec![item("n1", "v", 1), item("n2", "v", 2), item("n1", "v", 1)];
    let view = reconcile(&*store, mb.id, "alice", &items, false)
        .await
        .unwrap();
    assert_eq!(
        view.entries
            .iter()
            .map(|e| (e.uid, e.item))
            .collect::<Vec<_>>(),
        vec![(1, 2), (2, 1)]
    );
    // A page that shifted while the node changed: only the later identity counts.
    let shifted = vec![
        item("n3", "old", 3),
        item("n2", "v", 2),
        item("n3", "new", 3),
    ];
    let view = reconcile(&*store, mb.id, "alice", &shifted, false)
        .await
        .unwrap();
    assert_eq!(
        entries(&view, &shifted),
        vec![entry(2, "n2", "v"), entry(3, "n3", "new")]
    );
    assert_eq!(view.record.uid_next, 4);
    assert!(vanished(&*store, mb.id).await.is_empty());
}

pub(crate) async fn skipped_items_are_not_retired(factory: Factory) {
    let (_backing, store, _clock) = setup(factory).await;
    let mb = mailbox(&*store, "f1").await;
    let full = vec![item("n1", "v", 1), item("n2", "v", 2), item("n3", "v", 3)];
    reconcile(&*store, mb.id, "alice", &full, false)
        .await
        .unwrap();
    let partial = vec![item("n1", "v", 1), item("n3", "v", 3)];
    let view = reconcile(&*store, mb.id, "alice", &partial, false)
        .await
        .unwrap();
    assert_eq!(
        entries(&view, &partial),
        vec![entry(1, "n1", "v"), entry(3, "n3", "v")]
    );
    assert!(vanished(&*store, mb.id).await.is_empty());
    let view = reconcile(&*store, mb.id, "alice", &full, false)
        .await
        .unwrap();
    assert_eq!(
        entries(&view, &full),
        vec![
            entry(1, "n1", "v"),
            entry(2, "n2", "v"),
            entry(3, "n3", "v")
        ]
    );
}

pub(crate) async fn recent_is_claimed_by_the_first_read_write_reconcile(factory: Factory) {
    let (_backing, store, _clock) = setup(factory).await;
    let mb = mailbox(&*store, "f1").await;
    let two = vec![item("n1", "v", 1), item("n2", "v", 2)];
    // EXAMINE and STATUS do not claim.
    let examine = reconcile(&*store, mb.id, "alice", &two, false)
        .await
        .unwrap();
    assert_eq!(examine.recent, None);
    assert_eq!(examine.record.recent_watermark, 0);
    // The first read-write SELECT claims both; a second session gets nothing.
    let first = reconcile(&*store, mb.id, "alice", &two, true)
        .await
        .unwrap();
    assert_eq!(first.recent, Some(1..=2));
    assert_eq!(first.record.recent_watermark, 2);
    let second = reconcile(&*store, mb.id, "bob", &two, true).await.unwrap();
    assert_eq!(second.recent, None);
    // A new message noticed by a read-only session stays unclaimed until a read-write one.
    let three = vec![item("n1", "v", 1), item("n2", "v", 2), item("n3", "v", 3)];
    let examine = reconcile(&*store, mb.id, "carol", &three, false)
        .await
        .unwrap();
    assert_eq!(examine.recent, None);
    assert_eq!(examine.record.uid_next, 4);
    let claim = reconcile(&*store, mb.id, "bob", &two, true).await.unwrap();
    assert_eq!(claim.recent, Some(3..=3));
    let again = reconcile(&*store, mb.id, "alice", &three, true)
        .await
        .unwrap();
    assert_eq!(again.recent, None);
}
