//! Property test: two writers on two handles of one storage, interleaved.
//!
//! Each phase changes the repository (new, changed, deleted, restored nodes), then two tasks
//! act at once through their own handles: reconciliations by different users with listings
//! that differ (hidden nodes, skipped items, listings taken before the phase's changes),
//! APPENDs of new nodes that the other task's listing already shows, flag changes and
//! retirements of deleted nodes. A final settling pass reconciles every user's fresh listing
//! and retires what is gone, as the mailbox layer would. The store must never reuse a UID,
//! keep one live UID per (node, identity) and per node, hand out fresh UIDs in increasing
//! order within and across transactions, never move UIDNEXT back, claim each `\Recent` UID
//! once, and give every change a MODSEQ above what each user saw before.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::RangeInclusive;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use proptest::collection::vec;
use proptest::prelude::*;

use super::model::runner;
use super::{Factory, clock, flags, mailbox};
use crate::state::{
    Allocation, Changes, FlagOp, FlagOutcome, FlagUpdate, Flags, ListedItem, MailboxId, MailboxKey,
    MailboxRecord, MailboxSnapshot, ModSeq, NewMessage, StateError, StateStore, Subscription, Uid,
    reconcile,
};

const USERS: [&str; 3] = ["alice", "bob", "carol"];
const STORE_FLAGS: [&str; 3] = ["$Label1", "Todo", "\\Answered"];

#[derive(Debug, Clone)]
enum Action {
    Reconcile {
        user: usize,
        claim: bool,
        stale: bool,
        order: Vec<u8>,
        skip: Vec<bool>,
    },
    Append {
        user: usize,
        seen: bool,
        flagged: bool,
    },
    Store {
        user: usize,
        pick: usize,
        add: bool,
        flag: usize,
    },
    Retire {
        pick: usize,
    },
}

#[derive(Debug, Clone)]
struct Phase {
    creates: Vec<i64>,
    updates: Vec<usize>,
    deletes: Vec<usize>,
    restores: Vec<usize>,
    actors: [Vec<Action>; 2],
}

const MAX_NODES: usize = 24;

fn action_strategy() -> impl Strategy<Value = Action> {
    prop_oneof![
        5 => (
            0..USERS.len(),
            any::<bool>(),
            proptest::bool::weighted(0.3),
            vec(any::<u8>(), MAX_NODES),
            vec(proptest::bool::weighted(0.1), MAX_NODES),
        )
            .prop_map(|(user, claim, stale, order, skip)| Action::Reconcile {
                user,
                claim,
                stale,
                order,
                skip,
            }),
        2 => (0..USERS.len(), any::<bool>(), any::<bool>())
            .prop_map(|(user, seen, flagged)| Action::Append { user, seen, flagged }),
        2 => (0..USERS.len(), any::<usize>(), any::<bool>(), 0..STORE_FLAGS.len())
            .prop_map(|(user, pick, add, flag)| Action::Store { user, pick, add, flag }),
        1 => any::<usize>().prop_map(|pick| Action::Retire { pick }),
    ]
}

fn phase_strategy() -> impl Strategy<Value = Phase> {
    (
        vec(0i64..6, 0..4),
        vec(any::<usize>(), 0..3),
        vec(any::<usize>(), 0..2),
        vec(any::<usize>(), 0..2),
        vec(action_strategy(), 1..5),
        vec(action_strategy(), 1..5),
    )
        .prop_map(|(creates, updates, deletes, restores, a, b)| Phase {
            creates,
            updates,
            deletes,
            restores,
            actors: [a, b],
        })
}

pub(crate) fn two_writers_never_disagree(factory: Factory) {
    runner(24)
        .run(&vec(phase_strategy(), 1..6), |phases| {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(run(factory, phases));
            Ok(())
        })
        .unwrap();
}

/// One allocation as a writer saw it: the pairs asked for and the answer.
type Logged = (Vec<(String, String)>, Allocation);

/// A store that logs every allocation passing through it.
struct Recorder {
    inner: Arc<dyn StateStore>,
    log: Arc<Mutex<Vec<Logged>>>,
}

#[async_trait]
impl StateStore for Recorder {
    async fn open_mailbox(
        &self,
        key: &MailboxKey,
        name_key: &str,
    ) -> Result<MailboxRecord, StateError> {
        self.inner.open_mailbox(key, name_key).await
    }
    async fn snapshot(
        &self,
        mailbox: MailboxId,
        user: &str,
    ) -> Result<MailboxSnapshot, StateError> {
        self.inner.snapshot(mailbox, user).await
    }
    async fn allocate(
        &self,
        mailbox: MailboxId,
        new: &[NewMessage],
        claim_recent: bool,
    ) -> Result<Allocation, StateError> {
        let allocation = self.inner.allocate(mailbox, new, claim_recent).await?;
        let pairs = new
            .iter()
            .map(|m| (m.node_id.clone(), m.identity.clone()))
            .collect();
        self.log.lock().unwrap().push((pairs, allocation.clone()));
        Ok(allocation)
    }
    async fn retire(&self, mailbox: MailboxId, uids: &[Uid]) -> Result<Vec<Uid>, StateError> {
        self.inner.retire(mailbox, uids).await
    }
    async fn store_flags(
        &self,
        mailbox: MailboxId,
        user: &str,
        update: &FlagUpdate,
    ) -> Result<FlagOutcome, StateError> {
        self.inner.store_flags(mailbox, user, update).await
    }
    async fn changes_since(
        &self,
        mailbox: MailboxId,
        user: &str,
        since: ModSeq,
    ) -> Result<Changes, StateError> {
        self.inner.changes_since(mailbox, user, since).await
    }
    async fn forget_mailbox(&self, mailbox: MailboxId) -> Result<(), StateError> {
        self.inner.forget_mailbox(mailbox).await
    }
    async fn set_subscription(
        &self,
        user: &str,
        name: &str,
        subscribed: bool,
    ) -> Result<(), StateError> {
        self.inner.set_subscription(user, name, subscribed).await
    }
    async fn subscriptions(&self, user: &str) -> Result<Vec<Subscription>, StateError> {
        self.inner.subscriptions(user).await
    }
    async fn mailboxes(&self) -> Result<Vec<crate::state::NamedMailbox>, StateError> {
        self.inner.mailboxes().await
    }
    async fn summary(&self, key: &str) -> Result<Option<Vec<u8>>, StateError> {
        self.inner.summary(key).await
    }
    async fn put_summary(&self, key: &str, summary: &[u8]) -> Result<(), StateError> {
        self.inner.put_summary(key, summary).await
    }
    async fn template(&self, hash: &str) -> Result<Option<String>, StateError> {
        self.inner.template(hash).await
    }
    async fn put_template(&self, hash: &str, text: &str) -> Result<(), StateError> {
        self.inner.put_template(hash, text).await
    }
}

#[derive(Debug, Clone)]
struct Node {
    present: bool,
    version: u32,
    arrival: i64,
}

fn node_id(node: usize) -> String {
    format!("n{node:02}")
}

/// Whether `user` may see `node` (permissions differ between users).
fn visible(user: usize, node: usize) -> bool {
    !(node + user).is_multiple_of(4)
}

fn listing(nodes: &[Node], user: usize, order: &[u8], skip: &[bool]) -> Vec<ListedItem> {
    let mut listed: Vec<usize> = (0..nodes.len())
        .filter(|&n| nodes[n].present && visible(user, n))
        .filter(|&n| !skip.get(n).copied().unwrap_or(false))
        .collect();
    listed.sort_by_key(|&n| (order.get(n).copied().unwrap_or(0), n));
    listed
        .into_iter()
        .map(|n| ListedItem {
            node_id: node_id(n),
            identity: format!("v{}", nodes[n].version),
            arrival: nodes[n].arrival,
            imported_flags: Flags::default(),
            pin: None,
        })
        .collect()
}

/// What one task saw.
#[derive(Debug, Default)]
struct Observed {
    /// UID → (node, identity) from views.
    pairs: Vec<(Uid, String, String)>,
    /// UIDNEXT values, in the order seen.
    uid_next: Vec<Uid>,
    /// `\Recent` claims.
    recent: Vec<RangeInclusive<Uid>>,
    /// APPENDs: user, pair, UID, seen, flagged.
    appends: Vec<(usize, String, String, Uid, bool, bool)>,
}

struct PhaseNodes<'a> {
    before: &'a [Node],
    after: &'a [Node],
    deleted: &'a [usize],
}

async fn act(
    store: Arc<dyn StateStore>,
    mailbox: MailboxId,
    actions: Vec<Action>,
    nodes: &PhaseNodes<'_>,
    mut appends: Vec<usize>,
) -> Observed {
    let mut seen = Observed::default();
    for action in actions {
        match action {
            Action::Reconcile {
                user,
                claim,
                stale,
                order,
                skip,
            } => {
                let state = if stale { nodes.before } else { nodes.after };
                let items = listing(state, user, &order, &skip);
                let view = reconcile(&*store, mailbox, USERS[user], &items, claim)
                    .await
                    .unwrap();
                for entry in &view.entries {
                    let item = &items[entry.item];
                    seen.pairs
                        .push((entry.uid, item.node_id.clone(), item.identity.clone()));
                }
                seen.uid_next.push(view.record.uid_next);
                seen.recent.extend(view.recent);
            }
            Action::Append {
                user,
                seen: with_seen,
                flagged,
            } => {
                let Some(node) = appends.pop() else { continue };
                let identity = format!("v{}", nodes.after[node].version);
                let mut message = NewMessage {
                    node_id: node_id(node),
                    identity: identity.clone(),
                    shared_flags: if flagged {
                        flags(&["\\Flagged"])
                    } else {
                        Flags::default()
                    },
                    default_seen: false,
                    private_flags: None,
                    replaces: None,
                    pin: None,
                };
                if with_seen {
                    message.private_flags = Some((USERS[user].to_owned(), flags(&["\\Seen"])));
                }
                let allocation = store.allocate(mailbox, &[message], false).await.unwrap();
                let uid = allocation.uids[0];
                seen.pairs.push((uid, node_id(node), identity.clone()));
                seen.uid_next.push(allocation.record.uid_next);
                seen.appends
                    .push((user, node_id(node), identity, uid, with_seen, flagged));
            }
            Action::Store {
                user,
                pick,
                add,
                flag,
            } => {
                let snapshot = store.snapshot(mailbox, USERS[user]).await.unwrap();
                seen.uid_next.push(snapshot.record.uid_next);
                if snapshot.messages.is_empty() {
                    continue;
                }
                let target = snapshot.messages[pick % snapshot.messages.len()].uid;
                let update = FlagUpdate {
                    uids: vec![target],
                    op: if add { FlagOp::Add } else { FlagOp::Remove },
                    flags: flags(&[STORE_FLAGS[flag]]),
                    unchanged_since: None,
                };
                let outcome = store
                    .store_flags(mailbox, USERS[user], &update)
                    .await
                    .unwrap();
                for record in &outcome.changed {
                    assert!(record.modseq > snapshot.highest_modseq);
                }
            }
            Action::Retire { pick } => {
                if nodes.deleted.is_empty() {
                    continue;
                }
                let node = node_id(nodes.deleted[pick % nodes.deleted.len()]);
                let snapshot = store.snapshot(mailbox, USERS[0]).await.unwrap();
                let uids: Vec<Uid> = snapshot
                    .messages
                    .iter()
                    .filter(|m| m.node_id == node)
                    .map(|m| m.uid)
                    .collect();
                store.retire(mailbox, &uids).await.unwrap();
            }
        }
    }
    seen
}

struct Totals {
    pairs: BTreeMap<Uid, (String, String)>,
    recent: Vec<RangeInclusive<Uid>>,
    uid_next: Uid,
    highest: Vec<ModSeq>,
    flags: Vec<BTreeMap<Uid, Flags>>,
}

impl Totals {
    fn record_pair(&mut self, uid: Uid, node: &str, identity: &str) {
        let pair = (node.to_owned(), identity.to_owned());
        if let Some(known) = self.pairs.get(&uid) {
            assert_eq!(known, &pair, "UID {uid} was reused");
        } else {
            self.pairs.insert(uid, pair);
        }
    }
}

async fn run(factory: Factory, phases: Vec<Phase>) {
    let backing = factory();
    let clock = clock();
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut handles: Vec<Arc<dyn StateStore>> = Vec::new();
    for _ in 0..2 {
        handles.push(Arc::new(Recorder {
            inner: backing.open(clock.clone()).await,
            log: Arc::clone(&log),
        }));
    }
    let mb = mailbox(&*handles[0], "f1").await;
    let mut nodes: Vec<Node> = Vec::new();
    let mut totals = Totals {
        pairs: BTreeMap::new(),
        recent: Vec::new(),
        uid_next: 1,
        highest: vec![1; USERS.len()],
        flags: vec![BTreeMap::new(); USERS.len()],
    };

    for phase in phases {
        let before = nodes.clone();
        for arrival in &phase.creates {
            if nodes.len() < MAX_NODES {
                nodes.push(Node {
                    present: true,
                    version: 0,
                    arrival: *arrival,
                });
            }
        }
        let count = nodes.len();
        if count > 0 {
            for pick in &phase.updates {
                nodes[pick % count].version += 1;
            }
            for pick in &phase.restores {
                nodes[pick % count].present = true;
            }
        }
        let mut deleted = Vec::new();
        if count > 0 {
            for pick in &phase.deletes {
                let node = pick % count;
                if nodes[node].present {
                    nodes[node].present = false;
                    deleted.push(node);
                }
            }
        }
        // Nodes that APPENDs will create: already in the other task's listing.
        let mut appended: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
        for (actor, actions) in phase.actors.iter().enumerate() {
            for action in actions {
                if matches!(action, Action::Append { .. }) && nodes.len() < MAX_NODES {
                    appended[actor].push(nodes.len());
                    nodes.push(Node {
                        present: true,
                        version: 0,
                        arrival: 100,
                    });
                }
            }
        }
        let phase_nodes = PhaseNodes {
            before: &before,
            after: &nodes,
            deleted: &deleted,
        };
        let [a_actions, b_actions] = phase.actors.clone();
        let [a_appends, b_appends] = appended;
        let start_next = totals.uid_next;
        log.lock().unwrap().clear();
        let (a, b) = tokio::join!(
            act(
                Arc::clone(&handles[0]),
                mb.id,
                a_actions,
                &phase_nodes,
                a_appends
            ),
            act(
                Arc::clone(&handles[1]),
                mb.id,
                b_actions,
                &phase_nodes,
                b_appends
            ),
        );

        // Settle: every user's fresh listing, then what is gone is retired.
        let mut settled = Observed::default();
        for (user, name) in USERS.iter().enumerate() {
            let items = listing(&nodes, user, &[], &[]);
            let view = reconcile(&*handles[0], mb.id, name, &items, false)
                .await
                .unwrap();
            for entry in &view.entries {
                let item = &items[entry.item];
                settled
                    .pairs
                    .push((entry.uid, item.node_id.clone(), item.identity.clone()));
            }
            settled.uid_next.push(view.record.uid_next);
        }
        let snapshot = handles[1].snapshot(mb.id, USERS[0]).await.unwrap();
        let gone: Vec<Uid> = snapshot
            .messages
            .iter()
            .filter(|m| {
                let index: usize = m.node_id[1..].parse().unwrap();
                !nodes[index].present
            })
            .map(|m| m.uid)
            .collect();
        handles[1].retire(mb.id, &gone).await.unwrap();

        let logged: Vec<Logged> = log.lock().unwrap().drain(..).collect();
        check_phase(
            &*handles[1],
            mb.id,
            &nodes,
            &mut totals,
            [&a, &b, &settled],
            &logged,
            start_next,
        )
        .await;
    }
}

async fn check_phase(
    store: &dyn StateStore,
    mailbox: MailboxId,
    nodes: &[Node],
    totals: &mut Totals,
    observed: [&Observed; 3],
    log: &[Logged],
    start_next: Uid,
) {
    // No UID ever stands for two pairs.
    for seen in observed {
        for (uid, node, identity) in &seen.pairs {
            totals.record_pair(*uid, node, identity);
        }
        for next in seen.uid_next.windows(2) {
            assert!(next[0] <= next[1], "UIDNEXT went back: {:?}", seen.uid_next);
        }
        totals.recent.extend(seen.recent.iter().cloned());
    }

    // Fresh UIDs: each transaction that moved UIDNEXT from p to q handed out exactly p..q, in
    // the order asked; committed transactions are ordered by the UIDNEXT they left behind.
    let mut by_next: BTreeMap<Uid, Vec<&Logged>> = BTreeMap::new();
    for logged in log {
        by_next
            .entry(logged.1.record.uid_next)
            .or_default()
            .push(logged);
    }
    let mut previous = start_next;
    for (next, group) in by_next {
        assert!(next >= previous, "UIDNEXT went back: {next} < {previous}");
        for (_, allocation) in &group {
            assert!(allocation.uids.iter().all(|&uid| uid < next));
        }
        if next > previous {
            let fresh: Vec<Uid> = (previous..next).collect();
            let maker = group.iter().find(|(_, allocation)| {
                let mine: Vec<Uid> = allocation
                    .uids
                    .iter()
                    .copied()
                    .filter(|&uid| uid >= previous)
                    .collect();
                mine == fresh
            });
            let Some((pairs, allocation)) = maker else {
                panic!("no transaction handed out {fresh:?} in order: {group:?}");
            };
            for (pair, uid) in pairs.iter().zip(&allocation.uids) {
                totals.record_pair(*uid, &pair.0, &pair.1);
            }
        }
        previous = next;
    }

    // The map as it stands.
    let everyone = store.snapshot(mailbox, "nobody").await.unwrap();
    let record = &everyone.record;
    assert!(record.uid_next >= totals.uid_next);
    totals.uid_next = record.uid_next;
    let tombstones: BTreeSet<Uid> = store
        .changes_since(mailbox, "nobody", 0)
        .await
        .unwrap()
        .vanished
        .into_iter()
        .collect();
    let live: BTreeSet<Uid> = everyone.messages.iter().map(|m| m.uid).collect();
    assert!(
        live.is_disjoint(&tombstones),
        "a UID is both live and retired"
    );
    for uid in totals.pairs.keys() {
        assert!(
            live.contains(uid) || tombstones.contains(uid),
            "UID {uid} was lost"
        );
        assert!(*uid < record.uid_next);
    }
    let mut per_node: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for message in &everyone.messages {
        assert_eq!(
            totals.pairs.get(&message.uid),
            Some(&(message.node_id.clone(), message.identity.clone()))
        );
        per_node
            .entry(&message.node_id)
            .or_default()
            .push(&message.identity);
    }
    for (index, node) in nodes.iter().enumerate() {
        let identities = per_node
            .get(node_id(index).as_str())
            .cloned()
            .unwrap_or_default();
        if node.present {
            assert_eq!(
                identities,
                vec![format!("v{}", node.version)],
                "node {index}"
            );
        } else {
            assert!(identities.is_empty(), "deleted node {index} is still live");
        }
    }

    // Each \Recent UID claimed once, without gaps.
    let mut claims = totals.recent.clone();
    claims.sort_by_key(|range| *range.start());
    let mut expected_start = 1;
    for range in &claims {
        assert_eq!(*range.start(), expected_start, "claims {claims:?}");
        expected_start = range.end() + 1;
    }
    assert_eq!(expected_start - 1, record.recent_watermark);

    // APPEND and reconciliation agree on the UID; the APPEND's flags are all there.
    for seen in observed {
        for (user, node, identity, uid, with_seen, flagged) in &seen.appends {
            for name in USERS {
                let snapshot = store.snapshot(mailbox, name).await.unwrap();
                let message = snapshot
                    .messages
                    .iter()
                    .find(|m| &m.node_id == node && &m.identity == identity)
                    .expect("appended message is live");
                assert_eq!(message.uid, *uid);
                assert_eq!(message.flags.flagged, *flagged);
                assert_eq!(message.flags.seen, *with_seen && name == USERS[*user]);
            }
        }
    }

    // MODSEQs: distinct per user, every change above what the user saw before.
    for (user, name) in USERS.iter().enumerate() {
        let snapshot = store.snapshot(mailbox, name).await.unwrap();
        let modseqs: BTreeSet<ModSeq> = snapshot.messages.iter().map(|m| m.modseq).collect();
        assert_eq!(modseqs.len(), snapshot.messages.len());
        assert!(snapshot.highest_modseq >= totals.highest[user]);
        let changes = store
            .changes_since(mailbox, name, totals.highest[user])
            .await
            .unwrap();
        let changed: BTreeSet<Uid> = changes.changed.iter().map(|m| m.uid).collect();
        for message in &snapshot.messages {
            assert!(message.modseq <= snapshot.highest_modseq);
            let before = totals.flags[user].get(&message.uid);
            if before != Some(&message.flags) {
                assert!(
                    changed.contains(&message.uid),
                    "{name}: UID {} changed without a new MODSEQ",
                    message.uid
                );
            }
        }
        for uid in totals.flags[user].keys() {
            if !live.contains(uid) {
                assert!(
                    changes.vanished.contains(uid),
                    "{name}: UID {uid} vanished silently"
                );
            }
        }
        totals.highest[user] = snapshot.highest_modseq;
        totals.flags[user] = snapshot
            .messages
            .iter()
            .map(|m| (m.uid, m.flags.clone()))
            .collect();
    }
}
