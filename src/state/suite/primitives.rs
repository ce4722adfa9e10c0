//! Every primitive of [`StateStore`], with exact expected values.

use super::{Factory, T0, clock, flags, key, mailbox, message, setup};
use crate::state::{
    FlagOp, FlagOutcome, FlagUpdate, Flags, MailboxKey, MailboxRecord, MessageRecord, NewMessage,
    StateError, StateStore, Subscription, Uid,
};

fn update(uids: &[Uid], op: FlagOp, names: &[&str]) -> FlagUpdate {
    FlagUpdate {
        uids: uids.to_vec(),
        op,
        flags: flags(names),
        unchanged_since: None,
    }
}

/// The (UID, node, flags) of every live message as `user` sees it.
async fn view(store: &dyn StateStore, mailbox: i64, user: &str) -> Vec<(Uid, String, Flags)> {
    store
        .snapshot(mailbox, user)
        .await
        .unwrap()
        .messages
        .into_iter()
        .map(|m| (m.uid, m.node_id, m.flags))
        .collect()
}

fn row(uid: Uid, node: &str, names: &[&str]) -> (Uid, String, Flags) {
    (uid, node.to_owned(), flags(names))
}

async fn highest(store: &dyn StateStore, mailbox: i64, user: &str) -> u64 {
    store.snapshot(mailbox, user).await.unwrap().highest_modseq
}

pub(crate) async fn open_mailbox_is_stable(factory: Factory) {
    let (_backing, store, clock) = setup(factory).await;
    let first = store.open_mailbox(&key("f1"), "INBOX").await.unwrap();
    assert_eq!(
        first,
        MailboxRecord {
            id: first.id,
            key: key("f1"),
            uid_validity: T0 as u32,
            uid_next: 1,
            modseq: 1,
            recent_watermark: 0,
        }
    );
    clock.advance_ms(60_000);
    let again = store.open_mailbox(&key("f1"), "INBOX").await.unwrap();
    assert_eq!(again, first);
    let snapshot = store.snapshot(first.id, "alice").await.unwrap();
    assert_eq!(snapshot.record, first);
    assert_eq!(snapshot.highest_modseq, 1);
    assert!(snapshot.messages.is_empty());
}

pub(crate) async fn views_of_one_folder_are_separate_mailboxes(factory: Factory) {
    let (_backing, store, _clock) = setup(factory).await;
    let archive = store.open_mailbox(&key("f1"), "INBOX").await.unwrap();
    let mixed_key = MailboxKey {
        folder_id: "f1".into(),
        view: "mixed".into(),
    };
    let mixed = store
        .open_mailbox(&mixed_key, "Mounts/Shared")
        .await
        .unwrap();
    assert_ne!(archive.id, mixed.id);
    assert_eq!(mixed.key, mixed_key);
    let a = store
        .allocate(archive.id, &[message("n1", "v1")], false)
        .await
        .unwrap();
    let m = store
        .allocate(mixed.id, &[message("n2", "v1"), message("n1", "v1")], false)
        .await
        .unwrap();
    assert_eq!(a.uids, vec![1]);
    assert_eq!(m.uids, vec![1, 2]);
}

pub(crate) async fn uid_validity_never_repeats_for_a_name(factory: Factory) {
    let (_backing, store, clock) = setup(factory).await;
    let first = store.open_mailbox(&key("f1"), "Docs").await.unwrap();
    assert_eq!(first.uid_validity, T0 as u32);
    store.forget_mailbox(first.id).await.unwrap();
    // Re-created within the same second: last + 1.
    let second = store.open_mailbox(&key("f1"), "Docs").await.unwrap();
    assert_eq!(second.uid_validity, T0 as u32 + 1);
    assert_ne!(second.id, first.id);
    store.forget_mailbox(second.id).await.unwrap();
    // Another folder under the same name.
    let third = store.open_mailbox(&key("f2"), "Docs").await.unwrap();
    assert_eq!(third.uid_validity, T0 as u32 + 2);
    store.forget_mailbox(third.id).await.unwrap();
    // Time has moved on: the clock wins.
    clock.advance_ms(100_000);
    let fourth = store.open_mailbox(&key("f3"), "Docs").await.unwrap();
    assert_eq!(fourth.uid_validity, T0 as u32 + 100);
    store.forget_mailbox(fourth.id).await.unwrap();
    // The clock went backwards: the history wins.
    clock.advance_ms(-1_000_000);
    let fifth = store.open_mailbox(&key("f4"), "Docs").await.unwrap();
    assert_eq!(fifth.uid_validity, T0 as u32 + 101);
    // Other names are unaffected.
    let other = store.open_mailbox(&key("f5"), "Other").await.unwrap();
    assert_eq!(other.uid_validity, T0 as u32 - 900);
    let ids = [first.id, second.id, third.id, fourth.id, fifth.id, other.id];
    let distinct: std::collections::BTreeSet<_> = ids.iter().collect();
    assert_eq!(distinct.len(), ids.len(), "mailbox ids are never reused");
}

pub(crate) async fn uid_validity_is_never_zero(factory: Factory) {
    let backing = factory();
    let clock = clock();
    clock.set(chrono::DateTime::UNIX_EPOCH);
    let store = backing.open(clock.clone()).await;
    let first = store.open_mailbox(&key("f1"), "INBOX").await.unwrap();
    assert_eq!(first.uid_validity, 1);
    store.forget_mailbox(first.id).await.unwrap();
    clock.advance_ms(-5_000_000);
    let second = store.open_mailbox(&key("f1"), "INBOX").await.unwrap();
    assert_eq!(second.uid_validity, 2);
}

pub(crate) async fn renamed_mailbox_protects_its_new_name(factory: Factory) {
    let (_backing, store, _clock) = setup(factory).await;
    let old = store.open_mailbox(&key("f1"), "Old").await.unwrap();
    let renamed = store.open_mailbox(&key("f1"), "New").await.unwrap();
    assert_eq!(renamed, old, "same folder, same mailbox, whatever its name");
    store.forget_mailbox(old.id).await.unwrap();
    let new_folder = store.open_mailbox(&key("f2"), "New").await.unwrap();
    assert_eq!(new_folder.uid_validity, T0 as u32 + 1);
    let old_name = store.open_mailbox(&key("f3"), "Old").await.unwrap();
    assert_eq!(old_name.uid_validity, T0 as u32 + 1);
}

pub(crate) async fn allocate_follows_request_order(factory: Factory) {
    let (_backing, store, _clock) = setup(factory).await;
    let mb = mailbox(&*store, "f1").await;
    let allocation = store
        .allocate(
            mb.id,
            &[message("c", "v1"), message("a", "v1"), message("b", "v1")],
            false,
        )
        .await
        .unwrap();
    assert_eq!(allocation.uids, vec![1, 2, 3]);
    assert!(allocation.retired.is_empty());
    assert_eq!(allocation.recent, None);
    assert_eq!(allocation.record.uid_next, 4);
    assert_eq!(allocation.record.recent_watermark, 0);
    let snapshot = store.snapshot(mb.id, "alice").await.unwrap();
    let nodes: Vec<(Uid, &str)> = snapshot
        .messages
        .iter()
        .map(|m| (m.uid, m.node_id.as_str()))
        .collect();
    assert_eq!(nodes, vec![(1, "c"), (2, "a"), (3, "b")]);
    let modseqs: Vec<u64> = snapshot.messages.iter().map(|m| m.modseq).collect();
    assert!(modseqs.windows(2).all(|w| w[0] < w[1]), "{modseqs:?}");
    assert!(modseqs[0] > 1);
    assert_eq!(snapshot.highest_modseq, modseqs[2]);
    assert_eq!(snapshot.record, allocation.record);
    let next = store
        .allocate(mb.id, &[message("d", "v1")], false)
        .await
        .unwrap();
    assert_eq!(next.uids, vec![4]);
}

pub(crate) async fn live_pair_keeps_its_uid_and_gains_flags(factory: Factory) {
    let (_backing, store, _clock) = setup(factory).await;
    let mb = mailbox(&*store, "f1").await;
    let mut first = message("n1", "v1");
    first.shared_flags = flags(&["\\Flagged"]);
    assert_eq!(
        store.allocate(mb.id, &[first], false).await.unwrap().uids,
        vec![1]
    );
    // The APPEND path arrives second: same UID, its flags are added.
    let mut append = message("n1", "v1");
    append.shared_flags = flags(&["$Label1"]);
    append.private_flags = Some(("alice".into(), flags(&["\\Seen"])));
    let allocation = store
        .allocate(mb.id, std::slice::from_ref(&append), false)
        .await
        .unwrap();
    assert_eq!(allocation.uids, vec![1]);
    assert_eq!(allocation.record.uid_next, 2);
    assert_eq!(
        view(&*store, mb.id, "alice").await,
        vec![row(1, "n1", &["\\Flagged", "$Label1", "\\Seen"])]
    );
    assert_eq!(
        view(&*store, mb.id, "bob").await,
        vec![row(1, "n1", &["\\Flagged", "$Label1"])]
    );
    // Asking again changes nothing, not even a MODSEQ.
    let before = highest(&*store, mb.id, "alice").await;
    store.allocate(mb.id, &[append], false).await.unwrap();
    assert_eq!(highest(&*store, mb.id, "alice").await, before);
}

pub(crate) async fn concurrent_allocations_of_one_pair_agree(factory: Factory) {
    let backing = factory();
    let clock = clock();
    let one = backing.open(clock.clone()).await;
    let two = backing.open(clock.clone()).await;
    let mb = mailbox(&*one, "f1").await;
    for round in 0..5 {
        let forward: Vec<NewMessage> = (0..8)
            .map(|i| message(&format!("r{round}n{i}"), "v1"))
            .collect();
        let backward: Vec<NewMessage> = forward.iter().rev().cloned().collect();
        let (a, b) = tokio::join!(
            one.allocate(mb.id, &forward, false),
            two.allocate(mb.id, &backward, false)
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        let b_forward: Vec<Uid> = b.uids.iter().rev().copied().collect();
        assert_eq!(a.uids, b_forward, "both writers report the same UIDs");
        let first = round * 8 + 1;
        let mut sorted = a.uids.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (first..first + 8).collect::<Vec<Uid>>());
        let ascending = a.uids.windows(2).all(|w| w[0] < w[1]);
        let descending = a.uids.windows(2).all(|w| w[0] > w[1]);
        assert!(
            ascending || descending,
            "one writer allocated all, in its order"
        );
    }
    let snapshot = two.snapshot(mb.id, "alice").await.unwrap();
    assert_eq!(snapshot.messages.len(), 40);
    assert_eq!(snapshot.record.uid_next, 41);
}

pub(crate) async fn replacement_carries_shared_flags_only(factory: Factory) {
    let (_backing, store, _clock) = setup(factory).await;
    let mb = mailbox(&*store, "f1").await;
    store
        .allocate(mb.id, &[message("n1", "v1"), message("n2", "v1")], false)
        .await
        .unwrap();
    let up = update(
        &[1],
        FlagOp::Add,
        &["\\Flagged", "$Label1", "\\Seen", "$Junk"],
    );
    store.store_flags(mb.id, "alice", &up).await.unwrap();
    let up = update(&[1], FlagOp::Add, &["\\Seen"]);
    store.store_flags(mb.id, "bob", &up).await.unwrap();
    let before = highest(&*store, mb.id, "alice").await;

    let mut changed = message("n1", "v2");
    changed.shared_flags = flags(&["\\Answered"]);
    changed.replaces = Some(1);
    let allocation = store.allocate(mb.id, &[changed], false).await.unwrap();
    assert_eq!(allocation.uids, vec![3]);
    assert_eq!(allocation.retired, vec![1]);
    for user in ["alice", "bob"] {
        assert_eq!(
            view(&*store, mb.id, user).await,
            vec![row(2, "n2", &[]), row(3, "n1", &["\\Flagged", "$Label1"])]
        );
    }
    let changes = store.changes_since(mb.id, "alice", before).await.unwrap();
    assert_eq!(changes.vanished, vec![1]);
    assert_eq!(
        changes.changed.iter().map(|m| m.uid).collect::<Vec<_>>(),
        vec![3]
    );
}

pub(crate) async fn new_identity_retires_every_other_row_of_the_node(factory: Factory) {
    let (_backing, store, _clock) = setup(factory).await;
    let mb = mailbox(&*store, "f1").await;
    store
        .allocate(mb.id, &[message("n1", "v1")], false)
        .await
        .unwrap();
    let up = update(&[1], FlagOp::Add, &["\\Flagged"]);
    store.store_flags(mb.id, "alice", &up).await.unwrap();
    // A writer that did not know of UID 1 (no `replaces`).
    let allocation = store
        .allocate(mb.id, &[message("n1", "v2")], false)
        .await
        .unwrap();
    assert_eq!((allocation.uids, allocation.retired), (vec![2], vec![1]));
    // A writer that still believed UID 1 was live: the newest row's flags carry over.
    let mut late = message("n1", "v3");
    late.replaces = Some(1);
    let allocation = store.allocate(mb.id, &[late], false).await.unwrap();
    assert_eq!((allocation.uids, allocation.retired), (vec![3], vec![2]));
    assert_eq!(
        view(&*store, mb.id, "alice").await,
        vec![row(3, "n1", &["\\Flagged"])]
    );
}

pub(crate) async fn restored_pair_gets_a_new_uid(factory: Factory) {
    let (_backing, store, _clock) = setup(factory).await;
    let mb = mailbox(&*store, "f1").await;
    store
        .allocate(mb.id, &[message("n1", "v1")], false)
        .await
        .unwrap();
    assert_eq!(store.retire(mb.id, &[1]).await.unwrap(), vec![1]);
    let allocation = store
        .allocate(mb.id, &[message("n1", "v1")], false)
        .await
        .unwrap();
    assert_eq!(allocation.uids, vec![2]);
    assert!(allocation.retired.is_empty());
    let changes = store.changes_since(mb.id, "alice", 0).await.unwrap();
    assert_eq!(changes.vanished, vec![1]);
    assert_eq!(
        changes.changed.iter().map(|m| m.uid).collect::<Vec<_>>(),
        vec![2]
    );
}

pub(crate) async fn private_flags_of_a_new_message_belong_to_one_user(factory: Factory) {
    let (_backing, store, _clock) = setup(factory).await;
    let mb = mailbox(&*store, "f1").await;
    let mut append = message("n1", "v1");
    append.shared_flags = flags(&["\\Draft", "\\Seen", "$Junk", "$Label1"]);
    append.private_flags = Some(("alice".into(), flags(&["\\Seen", "$Junk", "\\Flagged"])));
    store.allocate(mb.id, &[append], false).await.unwrap();
    assert_eq!(
        view(&*store, mb.id, "alice").await,
        vec![row(1, "n1", &["\\Draft", "$Label1", "\\Seen", "$Junk"])]
    );
    assert_eq!(
        view(&*store, mb.id, "bob").await,
        vec![row(1, "n1", &["\\Draft", "$Label1"])]
    );
}

pub(crate) async fn default_seen_applies_until_a_user_sets_their_own(factory: Factory) {
    let (_backing, store, _clock) = setup(factory).await;
    let mb = mailbox(&*store, "f1").await;
    let mut imported = message("n1", "v1");
    imported.default_seen = true;
    store.allocate(mb.id, &[imported], false).await.unwrap();
    assert_eq!(
        view(&*store, mb.id, "alice").await,
        vec![row(1, "n1", &["\\Seen"])]
    );
    let alice_before = highest(&*store, mb.id, "alice").await;
    let outcome = store
        .store_flags(mb.id, "bob", &update(&[1], FlagOp::Remove, &["\\Seen"]))
        .await
        .unwrap();
    assert_eq!(outcome.changed.len(), 1);
    assert_eq!(outcome.changed[0].flags, flags(&[]));
    assert_eq!(view(&*store, mb.id, "bob").await, vec![row(1, "n1", &[])]);
    assert_eq!(
        view(&*store, mb.id, "alice").await,
        vec![row(1, "n1", &["\\Seen"])]
    );
    assert_eq!(highest(&*store, mb.id, "alice").await, alice_before);
    // Adding \Seen for a user who sees the default already changes nothing.
    let outcome = store
        .store_flags(mb.id, "alice", &update(&[1], FlagOp::Add, &["\\Seen"]))
        .await
        .unwrap();
    assert_eq!(outcome, FlagOutcome::default());
}

pub(crate) async fn recent_is_claimed_once(factory: Factory) {
    let (_backing, store, _clock) = setup(factory).await;
    let mb = mailbox(&*store, "f1").await;
    let nothing = store.allocate(mb.id, &[], true).await.unwrap();
    assert_eq!(nothing.recent, None);
    let quiet = store
        .allocate(mb.id, &[message("a", "v"), message("b", "v")], false)
        .await
        .unwrap();
    assert_eq!(quiet.recent, None);
    assert_eq!(quiet.record.recent_watermark, 0);
    let claim = store.allocate(mb.id, &[], true).await.unwrap();
    assert_eq!(claim.recent, Some(1..=2));
    assert_eq!(claim.record.recent_watermark, 2);
    let again = store.allocate(mb.id, &[], true).await.unwrap();
    assert_eq!(again.recent, None);
    let with_new = store
        .allocate(mb.id, &[message("c", "v")], true)
        .await
        .unwrap();
    assert_eq!(with_new.recent, Some(3..=3));
    // A retired UID above the watermark is claimed too (nobody will see it).
    store
        .allocate(mb.id, &[message("d", "v"), message("e", "v")], false)
        .await
        .unwrap();
    store.retire(mb.id, &[4]).await.unwrap();
    let claim = store.allocate(mb.id, &[], true).await.unwrap();
    assert_eq!(claim.recent, Some(4..=5));
}

pub(crate) async fn uid_exhaustion_is_an_error_and_changes_nothing(factory: Factory) {
    let (backing, store, _clock) = setup(factory).await;
    let mb = mailbox(&*store, "f1").await;
    store
        .allocate(mb.id, &[message("n1", "v1")], false)
        .await
        .unwrap();
    backing.force_uid_next(mb.id, Uid::MAX - 1).await;
    let last = store
        .allocate(mb.id, &[message("n2", "v1")], false)
        .await
        .unwrap();
    assert_eq!(last.uids, vec![Uid::MAX - 1]);
    assert_eq!(last.record.uid_next, Uid::MAX);
    let before = store.snapshot(mb.id, "alice").await.unwrap();

    let error = store
        .allocate(mb.id, &[message("n3", "v1")], true)
        .await
        .unwrap_err();
    assert!(
        matches!(error, StateError::UidsExhausted(id) if id == mb.id),
        "{error:?}"
    );
    // A batch that would retire and then fail leaves everything as it was.
    let mut changed = message("n1", "v2");
    changed.replaces = Some(1);
    let error = store.allocate(mb.id, &[changed], true).await.unwrap_err();
    assert!(matches!(error, StateError::UidsExhausted(_)), "{error:?}");
    assert_eq!(store.snapshot(mb.id, "alice").await.unwrap(), before);
    // Pairs that are live need no new UID.
    let existing = store
        .allocate(mb.id, &[message("n1", "v1")], false)
        .await
        .unwrap();
    assert_eq!(existing.uids, vec![1]);
}

pub(crate) async fn unknown_mailbox_is_an_error(factory: Factory) {
    let (_backing, store, _clock) = setup(factory).await;
    let mb = mailbox(&*store, "f1").await;
    let ghost = mb.id + 1000;
    let is_unknown =
        |error: StateError| matches!(error, StateError::UnknownMailbox(id) if id == ghost);
    assert!(is_unknown(
        store.snapshot(ghost, "alice").await.unwrap_err()
    ));
    assert!(is_unknown(
        store.allocate(ghost, &[], true).await.unwrap_err()
    ));
    assert!(is_unknown(store.retire(ghost, &[1]).await.unwrap_err()));
    let up = update(&[1], FlagOp::Add, &["\\Seen"]);
    assert!(is_unknown(
        store.store_flags(ghost, "alice", &up).await.unwrap_err()
    ));
    assert!(is_unknown(
        store.changes_since(ghost, "alice", 0).await.unwrap_err()
    ));
    store.forget_mailbox(ghost).await.unwrap();
    store.forget_mailbox(mb.id).await.unwrap();
    store.forget_mailbox(mb.id).await.unwrap();
    assert!(matches!(
        store.snapshot(mb.id, "alice").await.unwrap_err(),
        StateError::UnknownMailbox(_)
    ));
}

pub(crate) async fn retire_makes_tombstones_with_fresh_modseqs(factory: Factory) {
    let (_backing, store, _clock) = setup(factory).await;
    let mb = mailbox(&*store, "f1").await;
    store
        .allocate(
            mb.id,
            &[message("a", "v"), message("b", "v"), message("c", "v")],
            false,
        )
        .await
        .unwrap();
    store
        .store_flags(mb.id, "alice", &update(&[1], FlagOp::Add, &["\\Seen"]))
        .await
        .unwrap();
    // Alice's private change is the newest so far.
    let before = highest(&*store, mb.id, "alice").await;
    assert_eq!(
        store.retire(mb.id, &[3, 99, 1, 3]).await.unwrap(),
        vec![1, 3]
    );
    let changes = store.changes_since(mb.id, "bob", before).await.unwrap();
    assert!(changes.changed.is_empty());
    assert_eq!(changes.vanished, vec![1, 3]);
    assert_eq!(changes.highest_modseq, before + 2);
    assert_eq!(store.retire(mb.id, &[1]).await.unwrap(), Vec::<Uid>::new());
    assert_eq!(highest(&*store, mb.id, "bob").await, before + 2);
    assert_eq!(view(&*store, mb.id, "alice").await, vec![row(2, "b", &[])]);
    // Earlier tombstones are not reported again.
    let later = store.changes_since(mb.id, "bob", before + 1).await.unwrap();
    assert_eq!(later.vanished, vec![3]);
}

pub(crate) async fn store_adds_removes_and_replaces(factory: Factory) {
    let (_backing, store, _clock) = setup(factory).await;
    let mb = mailbox(&*store, "f1").await;
    store
        .allocate(mb.id, &[message("a", "v"), message("b", "v")], false)
        .await
        .unwrap();
    let start = highest(&*store, mb.id, "alice").await;

    let added = store
        .store_flags(
            mb.id,
            "alice",
            &update(&[2, 1], FlagOp::Add, &["\\Flagged", "$Label1"]),
        )
        .await
        .unwrap();
    let expected = |uid: Uid, node: &str, modseq: u64, names: &[&str]| MessageRecord {
        uid,
        node_id: node.to_owned(),
        identity: "v".to_owned(),
        flags: flags(names),
        modseq,
        pin: None,
    };
    assert_eq!(
        added,
        FlagOutcome {
            changed: vec![
                expected(1, "a", start + 1, &["\\Flagged", "$Label1"]),
                expected(2, "b", start + 2, &["\\Flagged", "$Label1"]),
            ],
            modified: vec![],
        }
    );
    let removed = store
        .store_flags(
            mb.id,
            "alice",
            &update(&[1], FlagOp::Remove, &["\\Flagged"]),
        )
        .await
        .unwrap();
    assert_eq!(
        removed.changed,
        vec![expected(1, "a", start + 3, &["$Label1"])]
    );
    let replaced = store
        .store_flags(
            mb.id,
            "alice",
            &update(
                &[2],
                FlagOp::Replace,
                &["\\Answered", "\\Seen", "\\Draft", "\\Deleted"],
            ),
        )
        .await
        .unwrap();
    assert_eq!(
        replaced.changed,
        vec![expected(
            2,
            "b",
            start + 4,
            &["\\Answered", "\\Seen", "\\Draft", "\\Deleted"]
        )]
    );
    assert_eq!(
        view(&*store, mb.id, "bob").await,
        vec![
            row(1, "a", &["$Label1"]),
            row(2, "b", &["\\Answered", "\\Draft", "\\Deleted"])
        ]
    );
    assert_eq!(highest(&*store, mb.id, "alice").await, start + 4);
}

pub(crate) async fn store_changes_only_what_changes(factory: Factory) {
    let (_backing, store, _clock) = setup(factory).await;
    let mb = mailbox(&*store, "f1").await;
    store
        .allocate(mb.id, &[message("a", "v"), message("b", "v")], false)
        .await
        .unwrap();
    let up = update(&[1], FlagOp::Add, &["\\Flagged", "\\Deleted"]);
    store.store_flags(mb.id, "alice", &up).await.unwrap();
    let before = highest(&*store, mb.id, "alice").await;
    let again = store.store_flags(mb.id, "alice", &up).await.unwrap();
    assert_eq!(again, FlagOutcome::default());
    assert_eq!(highest(&*store, mb.id, "alice").await, before);
    let both = update(&[1, 2], FlagOp::Add, &["\\Flagged", "\\Deleted"]);
    let outcome = store.store_flags(mb.id, "alice", &both).await.unwrap();
    assert_eq!(
        outcome
            .changed
            .iter()
            .map(|m| (m.uid, m.modseq))
            .collect::<Vec<_>>(),
        vec![(2, before + 1)]
    );
    let nothing = update(&[2], FlagOp::Remove, &["\\Answered", "$Nope"]);
    assert_eq!(
        store.store_flags(mb.id, "alice", &nothing).await.unwrap(),
        FlagOutcome::default()
    );
    assert_eq!(highest(&*store, mb.id, "alice").await, before + 1);
}

pub(crate) async fn keywords_compare_case_insensitively(factory: Factory) {
    let (_backing, store, _clock) = setup(factory).await;
    let mb = mailbox(&*store, "f1").await;
    store
        .allocate(mb.id, &[message("a", "v")], false)
        .await
        .unwrap();
    let outcome = store
        .store_flags(mb.id, "alice", &update(&[1], FlagOp::Add, &["$Label1"]))
        .await
        .unwrap();
    assert_eq!(outcome.changed.len(), 1);
    for (op, names) in [
        (FlagOp::Add, &["$LABEL1"][..]),
        (FlagOp::Replace, &["$label1"][..]),
    ] {
        let outcome = store
            .store_flags(mb.id, "bob", &update(&[1], op, names))
            .await
            .unwrap();
        assert_eq!(outcome, FlagOutcome::default(), "{op:?} {names:?}");
    }
    assert_eq!(
        view(&*store, mb.id, "bob").await,
        vec![row(1, "a", &["$Label1"])]
    );
    // Private keywords too: bob's $junk is bob's, spelled his way.
    store
        .store_flags(mb.id, "bob", &update(&[1], FlagOp::Add, &["$junk"]))
        .await
        .unwrap();
    let outcome = store
        .store_flags(mb.id, "bob", &update(&[1], FlagOp::Add, &["$JUNK"]))
        .await
        .unwrap();
    assert_eq!(outcome, FlagOutcome::default());
    assert_eq!(
        view(&*store, mb.id, "bob").await,
        vec![row(1, "a", &["$Label1", "$junk"])]
    );
    assert_eq!(
        view(&*store, mb.id, "alice").await,
        vec![row(1, "a", &["$Label1"])]
    );
    let outcome = store
        .store_flags(
            mb.id,
            "bob",
            &update(&[1], FlagOp::Remove, &["$LaBeL1", "$Junk"]),
        )
        .await
        .unwrap();
    assert_eq!(outcome.changed[0].flags, flags(&[]));
    assert_eq!(view(&*store, mb.id, "alice").await, vec![row(1, "a", &[])]);
}

pub(crate) async fn private_changes_stay_with_their_user(factory: Factory) {
    let (_backing, store, _clock) = setup(factory).await;
    let mb = mailbox(&*store, "f1").await;
    store
        .allocate(mb.id, &[message("a", "v"), message("b", "v")], false)
        .await
        .unwrap();
    let bob_before = store.snapshot(mb.id, "bob").await.unwrap();
    let alice_before = bob_before.highest_modseq;
    let outcome = store
        .store_flags(
            mb.id,
            "alice",
            &update(&[1], FlagOp::Add, &["\\Seen", "NonJunk"]),
        )
        .await
        .unwrap();
    let alice_modseq = outcome.changed[0].modseq;
    assert!(alice_modseq > alice_before);
    // Bob: same messages, same MODSEQs, same HIGHESTMODSEQ, nothing changed.
    let bob_after = store.snapshot(mb.id, "bob").await.unwrap();
    assert_eq!(bob_after.messages, bob_before.messages);
    assert_eq!(bob_after.highest_modseq, bob_before.highest_modseq);
    let bob_changes = store
        .changes_since(mb.id, "bob", bob_before.highest_modseq)
        .await
        .unwrap();
    assert!(bob_changes.changed.is_empty() && bob_changes.vanished.is_empty());
    assert_eq!(bob_changes.highest_modseq, bob_before.highest_modseq);
    // Alice sees her change.
    let alice_changes = store
        .changes_since(mb.id, "alice", alice_before)
        .await
        .unwrap();
    assert_eq!(alice_changes.highest_modseq, alice_modseq);
    assert_eq!(alice_changes.changed.len(), 1);
    assert_eq!(alice_changes.changed[0].uid, 1);
    assert_eq!(
        alice_changes.changed[0].flags,
        flags(&["\\Seen", "NonJunk"])
    );
    // A shared change afterwards reaches both, above everything either has seen.
    let shared = store
        .store_flags(mb.id, "bob", &update(&[2], FlagOp::Add, &["\\Answered"]))
        .await
        .unwrap();
    let shared_modseq = shared.changed[0].modseq;
    assert!(shared_modseq > alice_modseq);
    for user in ["alice", "bob"] {
        let changes = store
            .changes_since(mb.id, user, alice_modseq)
            .await
            .unwrap();
        assert_eq!(
            changes.changed.iter().map(|m| m.uid).collect::<Vec<_>>(),
            vec![2]
        );
        assert_eq!(changes.highest_modseq, shared_modseq);
    }
}

pub(crate) async fn unchanged_since_uses_the_users_modseq(factory: Factory) {
    let (_backing, store, _clock) = setup(factory).await;
    let mb = mailbox(&*store, "f1").await;
    store
        .allocate(mb.id, &[message("a", "v"), message("b", "v")], false)
        .await
        .unwrap();
    let snapshot = store.snapshot(mb.id, "alice").await.unwrap();
    let (m1, m2) = (snapshot.messages[0].modseq, snapshot.messages[1].modseq);
    store
        .store_flags(mb.id, "alice", &update(&[1], FlagOp::Add, &["\\Seen"]))
        .await
        .unwrap();
    // Alice's MODSEQ of message 1 has moved past m2; bob's has not.
    let mut guarded = update(&[1, 2], FlagOp::Add, &["\\Flagged"]);
    guarded.unchanged_since = Some(m2);
    let alice = store.store_flags(mb.id, "alice", &guarded).await.unwrap();
    assert_eq!(alice.modified, vec![1]);
    assert_eq!(
        alice.changed.iter().map(|m| m.uid).collect::<Vec<_>>(),
        vec![2]
    );
    let mut guarded = update(&[1], FlagOp::Add, &["\\Flagged"]);
    guarded.unchanged_since = Some(m1);
    let bob = store.store_flags(mb.id, "bob", &guarded).await.unwrap();
    assert!(bob.modified.is_empty());
    assert_eq!(bob.changed.len(), 1);
    // Zero never passes; a no-op that passes the test is neither changed nor modified.
    let mut zero = update(&[1, 2], FlagOp::Add, &["\\Flagged"]);
    zero.unchanged_since = Some(0);
    let outcome = store.store_flags(mb.id, "bob", &zero).await.unwrap();
    assert_eq!(outcome.modified, vec![1, 2]);
    let mut noop = update(&[1, 2], FlagOp::Add, &["\\Flagged"]);
    noop.unchanged_since = Some(u64::MAX);
    assert_eq!(
        store.store_flags(mb.id, "bob", &noop).await.unwrap(),
        FlagOutcome::default()
    );
}

pub(crate) async fn store_ignores_retired_and_unknown_uids(factory: Factory) {
    let (_backing, store, _clock) = setup(factory).await;
    let mb = mailbox(&*store, "f1").await;
    store
        .allocate(mb.id, &[message("a", "v")], false)
        .await
        .unwrap();
    store.retire(mb.id, &[1]).await.unwrap();
    let before = highest(&*store, mb.id, "alice").await;
    let outcome = store
        .store_flags(
            mb.id,
            "alice",
            &update(&[1, 42], FlagOp::Add, &["\\Seen", "\\Flagged"]),
        )
        .await
        .unwrap();
    assert_eq!(outcome, FlagOutcome::default());
    assert_eq!(highest(&*store, mb.id, "alice").await, before);
}

pub(crate) async fn forget_mailbox_keeps_the_uid_validity_history(factory: Factory) {
    let (_backing, store, _clock) = setup(factory).await;
    let mb = mailbox(&*store, "f1").await;
    store
        .allocate(mb.id, &[message("a", "v")], false)
        .await
        .unwrap();
    store
        .store_flags(mb.id, "alice", &update(&[1], FlagOp::Add, &["\\Seen"]))
        .await
        .unwrap();
    store.forget_mailbox(mb.id).await.unwrap();
    let again = mailbox(&*store, "f1").await;
    assert_ne!(again.id, mb.id);
    assert_eq!(again.uid_validity, mb.uid_validity + 1);
    assert_eq!(again.uid_next, 1);
    let allocation = store
        .allocate(again.id, &[message("a", "v")], false)
        .await
        .unwrap();
    assert_eq!(allocation.uids, vec![1]);
    assert_eq!(
        view(&*store, again.id, "alice").await,
        vec![row(1, "a", &[])]
    );
    let changes = store.changes_since(again.id, "alice", 0).await.unwrap();
    assert!(changes.vanished.is_empty());
}

pub(crate) async fn subscriptions_are_per_user_and_sorted(factory: Factory) {
    let (_backing, store, _clock) = setup(factory).await;
    store.set_subscription("alice", "b/x", true).await.unwrap();
    store.set_subscription("alice", "a", true).await.unwrap();
    store.set_subscription("alice", "b/x", false).await.unwrap();
    store.set_subscription("alice", "Ä", true).await.unwrap();
    store.set_subscription("bob", "c", true).await.unwrap();
    let sub = |name: &str, subscribed| Subscription {
        name: name.to_owned(),
        subscribed,
    };
    assert_eq!(
        store.subscriptions("alice").await.unwrap(),
        vec![sub("a", true), sub("b/x", false), sub("Ä", true)]
    );
    assert_eq!(
        store.subscriptions("bob").await.unwrap(),
        vec![sub("c", true)]
    );
    assert!(store.subscriptions("carol").await.unwrap().is_empty());
}

pub(crate) async fn summaries_and_templates_are_kept(factory: Factory) {
    let (_backing, store, clock) = setup(factory).await;
    assert_eq!(store.summary("k1").await.unwrap(), None);
    store.put_summary("k1", b"\x00summary\xff").await.unwrap();
    store.put_summary("k1", b"\x00summary\xff").await.unwrap();
    clock.advance_ms(2 * 60 * 60 * 1000);
    assert_eq!(
        store.summary("k1").await.unwrap().as_deref(),
        Some(&b"\x00summary\xff"[..])
    );
    assert_eq!(store.summary("k2").await.unwrap(), None);
    assert_eq!(store.template("h1").await.unwrap(), None);
    store.put_template("h1", "Hello ${name}").await.unwrap();
    store.put_template("h1", "Hello ${name}").await.unwrap();
    assert_eq!(
        store.template("h1").await.unwrap().as_deref(),
        Some("Hello ${name}")
    );
}

pub(crate) async fn state_survives_reopening(factory: Factory) {
    let backing = factory();
    let clock = clock();
    let (mailbox_id, before) = {
        let store = backing.open(clock.clone()).await;
        let mb = mailbox(&*store, "f1").await;
        let mut append = message("n1", "v1");
        append.pin = Some(b"pinned".to_vec());
        append.private_flags = Some(("alice".into(), flags(&["\\Seen"])));
        store
            .allocate(mb.id, &[append, message("n2", "v1")], true)
            .await
            .unwrap();
        store.retire(mb.id, &[2]).await.unwrap();
        store
            .set_subscription("alice", "INBOX", true)
            .await
            .unwrap();
        store.put_summary("s", b"summary").await.unwrap();
        let before = store.snapshot(mb.id, "alice").await.unwrap();
        (mb.id, before)
    };
    let store = backing.open(clock.clone()).await;
    let reopened = mailbox(&*store, "f1").await;
    assert_eq!(reopened, before.record);
    assert_eq!(store.snapshot(mailbox_id, "alice").await.unwrap(), before);
    assert_eq!(before.messages[0].pin.as_deref(), Some(&b"pinned"[..]));
    assert_eq!(
        store
            .changes_since(mailbox_id, "alice", 0)
            .await
            .unwrap()
            .vanished,
        vec![2]
    );
    assert_eq!(store.subscriptions("alice").await.unwrap().len(), 1);
    assert_eq!(
        store.summary("s").await.unwrap().as_deref(),
        Some(&b"summary"[..])
    );
    let next = store
        .allocate(mailbox_id, &[message("n3", "v1")], false)
        .await
        .unwrap();
    assert_eq!(next.uids, vec![3]);
}

pub(crate) async fn mailboxes_are_listed_with_their_last_names(factory: Factory) {
    let (_backing, store, _clock) = setup(factory).await;
    assert!(store.mailboxes().await.unwrap().is_empty());
    let a = mailbox(&*store, "f1").await;
    let b = store.open_mailbox(&key("f2"), "Docs/Q3").await.unwrap();
    let named = |record: &MailboxRecord, name: &str| crate::state::NamedMailbox {
        record: record.clone(),
        name: name.into(),
    };
    assert_eq!(
        store.mailboxes().await.unwrap(),
        vec![named(&a, "f1"), named(&b, "Docs/Q3")]
    );
    // A renamed mailbox goes by its new name, and keeps its UIDVALIDITY.
    let renamed = store.open_mailbox(&key("f1"), "Renamed").await.unwrap();
    assert_eq!(renamed, a);
    assert_eq!(
        store.mailboxes().await.unwrap(),
        vec![named(&a, "Renamed"), named(&b, "Docs/Q3")]
    );
}
