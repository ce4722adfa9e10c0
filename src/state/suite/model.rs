//! Property test: reconciliation, flags and change tracking against an independent model.
//!
//! A random sequence of repository events (nodes created, changed, deleted, restored, hidden
//! from one user) and client actions (reconciliations by several users through two handles,
//! with listings whose pages shifted, and STOREs with and without UNCHANGEDSINCE) runs against
//! the store and against a plain in-memory model. After every step, each user's snapshot must
//! equal the model exactly, and `changes_since` (from that user's previous HIGHESTMODSEQ) must
//! report exactly the messages whose state changed *for that user* and the UIDs retired.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use super::{Factory, clock, mailbox};
use crate::state::{
    FlagOp, FlagUpdate, Flags, ListedItem, MessageRecord, ModSeq, StateStore, Uid, reconcile,
};

const NODES: usize = 6;
const USERS: [&str; 3] = ["alice", "bob", "carol"];
const KEYWORDS: [&str; 6] = ["$Label1", "$label1", "Todo", "$Junk", "$junk", "NonJunk"];

/// How many random cases a property test runs (`PROPTEST_CASES` overrides).
pub(crate) fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A runner without regression files (the suite has no fixed source location).
pub(crate) fn runner(default_cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases: cases(default_cases),
        failure_persistence: None,
        ..Config::default()
    })
}

#[derive(Debug, Clone)]
enum Op {
    Create {
        node: usize,
        arrival: i64,
        imported: Flags,
    },
    Update {
        node: usize,
    },
    Delete {
        node: usize,
    },
    Restore {
        node: usize,
    },
    Toggle {
        user: usize,
        node: usize,
    },
    Reconcile {
        user: usize,
        writer: usize,
        claim: bool,
        order: Vec<u8>,
        skip: Vec<bool>,
        duplicate: Option<usize>,
    },
    Store {
        user: usize,
        writer: usize,
        picks: Vec<usize>,
        op: FlagOp,
        flags: Flags,
        guard: Option<usize>,
    },
}

pub(crate) fn flags_strategy() -> impl Strategy<Value = Flags> {
    (
        proptest::array::uniform5(proptest::bool::weighted(0.3)),
        proptest::sample::subsequence(KEYWORDS.to_vec(), 0..=3),
    )
        .prop_map(|(b, keywords)| Flags {
            answered: b[0],
            flagged: b[1],
            deleted: b[2],
            seen: b[3],
            draft: b[4],
            keywords: keywords.into_iter().map(String::from).collect(),
        })
}

fn op_strategy() -> impl Strategy<Value = Op> {
    let flag_op = prop_oneof![
        Just(FlagOp::Add),
        Just(FlagOp::Remove),
        Just(FlagOp::Replace)
    ];
    prop_oneof![
        3 => (0..NODES, 0i64..4, flags_strategy())
            .prop_map(|(node, arrival, imported)| Op::Create { node, arrival, imported }),
        1 => (0..NODES).prop_map(|node| Op::Update { node }),
        1 => (0..NODES).prop_map(|node| Op::Delete { node }),
        1 => (0..NODES).prop_map(|node| Op::Restore { node }),
        1 => (0..USERS.len(), 0..NODES).prop_map(|(user, node)| Op::Toggle { user, node }),
        5 => (
            0..USERS.len(),
            0..2usize,
            any::<bool>(),
            vec(any::<u8>(), NODES),
            vec(proptest::bool::weighted(0.15), NODES),
            proptest::option::weighted(0.2, 0..NODES),
        )
            .prop_map(|(user, writer, claim, order, skip, duplicate)| Op::Reconcile {
                user,
                writer,
                claim,
                order,
                skip,
                duplicate,
            }),
        4 => (
            0..USERS.len(),
            0..2usize,
            vec(0..NODES, 1..4),
            flag_op,
            flags_strategy(),
            proptest::option::weighted(0.3, 0..4usize),
        )
            .prop_map(|(user, writer, picks, op, flags, guard)| Op::Store {
                user,
                writer,
                picks,
                op,
                flags,
                guard,
            }),
    ]
}

pub(crate) fn reconciliation_matches_the_model(factory: Factory) {
    runner(48)
        .run(&vec(op_strategy(), 1..40), |ops| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(run(factory, ops));
            Ok(())
        })
        .unwrap();
}

/// The model's flag arithmetic: keywords in a map from their folded form to their spelling.
fn keyword_map(keywords: &BTreeSet<String>) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for keyword in keywords {
        map.entry(keyword.to_ascii_lowercase())
            .or_insert_with(|| keyword.clone());
    }
    map
}

fn is_private(keyword: &str) -> bool {
    ["$junk", "$notjunk", "junk", "nonjunk", "$phishing"]
        .contains(&keyword.to_ascii_lowercase().as_str())
}

fn shared_part(flags: &Flags) -> Flags {
    Flags {
        seen: false,
        keywords: keyword_map(&flags.keywords)
            .into_values()
            .filter(|k| !is_private(k))
            .collect(),
        ..flags.clone()
    }
}

fn private_part(flags: &Flags) -> Flags {
    Flags {
        seen: flags.seen,
        keywords: keyword_map(&flags.keywords)
            .into_values()
            .filter(|k| is_private(k))
            .collect(),
        ..Flags::default()
    }
}

fn model_apply(op: FlagOp, current: &Flags, requested: &Flags) -> Flags {
    let have = keyword_map(&current.keywords);
    let want = keyword_map(&requested.keywords);
    let keywords: BTreeMap<String, String> = match op {
        FlagOp::Add => {
            let mut all = have.clone();
            for (folded, spelling) in want {
                all.entry(folded).or_insert(spelling);
            }
            all
        }
        FlagOp::Remove => have
            .into_iter()
            .filter(|(folded, _)| !want.contains_key(folded))
            .collect(),
        FlagOp::Replace => want
            .into_iter()
            .map(|(folded, spelling)| {
                let kept = have.get(&folded).cloned().unwrap_or(spelling);
                (folded, kept)
            })
            .collect(),
    };
    let bit = |c: bool, r: bool| match op {
        FlagOp::Add => c || r,
        FlagOp::Remove => c && !r,
        FlagOp::Replace => r,
    };
    Flags {
        answered: bit(current.answered, requested.answered),
        flagged: bit(current.flagged, requested.flagged),
        deleted: bit(current.deleted, requested.deleted),
        seen: bit(current.seen, requested.seen),
        draft: bit(current.draft, requested.draft),
        keywords: keywords.into_values().collect(),
    }
}

fn model_same(a: &Flags, b: &Flags) -> bool {
    let folded = |f: &Flags| keyword_map(&f.keywords).into_keys().collect::<Vec<_>>();
    Flags {
        keywords: BTreeSet::new(),
        ..a.clone()
    } == Flags {
        keywords: BTreeSet::new(),
        ..b.clone()
    } && folded(a) == folded(b)
}

#[derive(Debug, Clone, Default)]
struct Node {
    created: bool,
    present: bool,
    version: u32,
    arrival: i64,
    imported: Flags,
}

#[derive(Debug, Clone)]
struct Row {
    node: usize,
    identity: String,
    shared: Flags,
    default_seen: bool,
    private: BTreeMap<usize, Flags>,
}

impl Row {
    fn flags_for(&self, user: usize) -> Flags {
        let private = self.private.get(&user).cloned().unwrap_or(Flags {
            seen: self.default_seen,
            ..Flags::default()
        });
        Flags::merged(&self.shared, &private)
    }
}

fn node_id(node: usize) -> String {
    format!("n{node}")
}

struct Model {
    nodes: Vec<Node>,
    hidden: BTreeSet<(usize, usize)>,
    live: BTreeMap<Uid, Row>,
    tombstones: BTreeSet<Uid>,
    uid_next: Uid,
    watermark: Uid,
    dirty: Vec<BTreeSet<Uid>>,
    vanished: Vec<BTreeSet<Uid>>,
    last_highest: Vec<ModSeq>,
    last_view: Vec<Vec<Uid>>,
}

impl Model {
    fn identity(&self, node: usize) -> String {
        format!("v{}", self.nodes[node].version)
    }

    fn item(&self, node: usize) -> ListedItem {
        let identity = self.identity(node);
        ListedItem {
            node_id: node_id(node),
            pin: Some(format!("{}/{identity}", node_id(node)).into_bytes()),
            identity,
            arrival: self.nodes[node].arrival,
            imported_flags: self.nodes[node].imported.clone(),
        }
    }

    fn live_of_node(&self, node: usize) -> Vec<Uid> {
        self.live
            .iter()
            .filter(|(_, row)| row.node == node)
            .map(|(uid, _)| *uid)
            .collect()
    }

    fn retire(&mut self, uid: Uid) {
        self.live.remove(&uid);
        self.tombstones.insert(uid);
        for vanished in &mut self.vanished {
            vanished.insert(uid);
        }
    }

    fn expected_record(&self, uid: Uid, user: usize) -> (Uid, String, String, Flags, Vec<u8>) {
        let row = &self.live[&uid];
        (
            uid,
            node_id(row.node),
            row.identity.clone(),
            row.flags_for(user),
            format!("{}/{}", node_id(row.node), row.identity).into_bytes(),
        )
    }
}

fn actual_record(record: &MessageRecord) -> (Uid, String, String, Flags, Vec<u8>) {
    (
        record.uid,
        record.node_id.clone(),
        record.identity.clone(),
        record.flags.clone(),
        record.pin.clone().unwrap_or_default(),
    )
}

async fn run(factory: Factory, ops: Vec<Op>) {
    let backing = factory();
    let clock = clock();
    let writers: Vec<Arc<dyn StateStore>> = vec![
        backing.open(clock.clone()).await,
        backing.open(clock.clone()).await,
    ];
    let mb = mailbox(&*writers[0], "f1").await;
    let mut model = Model {
        nodes: vec![Node::default(); NODES],
        hidden: BTreeSet::new(),
        live: BTreeMap::new(),
        tombstones: BTreeSet::new(),
        uid_next: 1,
        watermark: 0,
        dirty: vec![BTreeSet::new(); USERS.len()],
        vanished: vec![BTreeSet::new(); USERS.len()],
        last_highest: vec![1; USERS.len()],
        last_view: vec![Vec::new(); USERS.len()],
    };
    for (step, op) in ops.into_iter().enumerate() {
        apply(&writers, mb.id, &mut model, &op).await;
        check(&*writers[step % 2], mb.id, &mut model, step, &op).await;
    }
}

async fn apply(writers: &[Arc<dyn StateStore>], mailbox: i64, model: &mut Model, op: &Op) {
    match op.clone() {
        Op::Create {
            node,
            arrival,
            imported,
        } => {
            if !model.nodes[node].created {
                model.nodes[node] = Node {
                    created: true,
                    present: true,
                    version: 0,
                    arrival,
                    imported,
                };
            }
        }
        Op::Update { node } => {
            if model.nodes[node].present {
                model.nodes[node].version += 1;
            }
        }
        Op::Delete { node } => {
            if !model.nodes[node].present {
                return;
            }
            model.nodes[node].present = false;
            let live = model.live_of_node(node);
            let mut asked = live.clone();
            asked.extend(model.tombstones.iter().next());
            let retired = writers[0].retire(mailbox, &asked).await.unwrap();
            assert_eq!(retired, live, "retire reports exactly the live rows");
            for uid in live {
                model.retire(uid);
            }
        }
        Op::Restore { node } => {
            if model.nodes[node].created {
                model.nodes[node].present = true;
            }
        }
        Op::Toggle { user, node } => {
            if !model.hidden.remove(&(user, node)) {
                model.hidden.insert((user, node));
            }
        }
        Op::Reconcile {
            user,
            writer,
            claim,
            order,
            skip,
            duplicate,
        } => {
            let mut listed: Vec<usize> = (0..NODES)
                .filter(|&n| {
                    model.nodes[n].present && !model.hidden.contains(&(user, n)) && !skip[n]
                })
                .collect();
            listed.sort_by_key(|&n| (order[n], n));
            let mut items: Vec<ListedItem> = listed.iter().map(|&n| model.item(n)).collect();
            if let Some(d) = duplicate.filter(|_| !items.is_empty()) {
                items.push(items[d % items.len()].clone());
            }
            let view = reconcile(&*writers[writer], mailbox, USERS[user], &items, claim)
                .await
                .unwrap();

            // The model: new pairs in arrival order (ties by node id), replacing older rows.
            let mut new: Vec<usize> = listed
                .iter()
                .copied()
                .filter(|&n| {
                    let identity = model.identity(n);
                    !model
                        .live
                        .values()
                        .any(|row| row.node == n && row.identity == identity)
                })
                .collect();
            new.sort_by_key(|&n| (model.nodes[n].arrival, node_id(n)));
            for n in new {
                let old = model.live_of_node(n);
                let carried = old.last().map(|uid| model.live[uid].shared.clone());
                for uid in old {
                    model.retire(uid);
                }
                let uid = model.uid_next;
                model.uid_next += 1;
                let imported = &model.nodes[n].imported;
                let row = Row {
                    node: n,
                    identity: model.identity(n),
                    shared: carried.unwrap_or_else(|| shared_part(imported)),
                    default_seen: imported.seen,
                    private: BTreeMap::new(),
                };
                model.live.insert(uid, row);
                for dirty in &mut model.dirty {
                    dirty.insert(uid);
                }
            }
            let mut expected_recent = None;
            if claim && model.watermark + 1 < model.uid_next {
                expected_recent = Some(model.watermark + 1..=model.uid_next - 1);
                model.watermark = model.uid_next - 1;
            }
            assert_eq!(view.recent, expected_recent);
            assert_eq!(view.record.uid_next, model.uid_next);
            assert_eq!(view.record.recent_watermark, model.watermark);

            let mut last_index = BTreeMap::new();
            for (index, item) in items.iter().enumerate() {
                last_index.insert(item.node_id.clone(), index);
            }
            let mut expected: Vec<(Uid, usize, Flags)> = last_index
                .values()
                .map(|&index| {
                    let node = listed
                        .iter()
                        .copied()
                        .find(|&n| node_id(n) == items[index].node_id)
                        .unwrap();
                    let uid = *model.live_of_node(node).last().unwrap();
                    (uid, index, model.live[&uid].flags_for(user))
                })
                .collect();
            expected.sort_by_key(|entry| entry.0);
            let actual: Vec<(Uid, usize, Flags)> = view
                .entries
                .iter()
                .map(|e| (e.uid, e.item, e.flags.clone()))
                .collect();
            assert_eq!(actual, expected);
            for entry in &view.entries {
                assert!(entry.modseq <= view.highest_modseq);
                assert_eq!(entry.pin, items[entry.item].pin);
            }
            model.last_view[user] = view.entries.iter().map(|e| e.uid).collect();
        }
        Op::Store {
            user,
            writer,
            picks,
            op,
            flags,
            guard,
        } => {
            let view = &model.last_view[user];
            if view.is_empty() {
                return;
            }
            let uids: Vec<Uid> = picks.iter().map(|p| view[p % view.len()]).collect();
            let before = writers[writer]
                .snapshot(mailbox, USERS[user])
                .await
                .unwrap();
            let modseq_of = |uid: Uid| {
                before
                    .messages
                    .iter()
                    .find(|m| m.uid == uid)
                    .map(|m| m.modseq)
            };
            let unchanged_since = guard.map(|g| modseq_of(uids[g % uids.len()]).unwrap_or(0));
            let update = FlagUpdate {
                uids: uids.clone(),
                op,
                flags: flags.clone(),
                unchanged_since,
            };
            let outcome = writers[writer]
                .store_flags(mailbox, USERS[user], &update)
                .await
                .unwrap();

            let mut modified = Vec::new();
            let mut changed = Vec::new();
            let wanted: BTreeSet<Uid> = uids.into_iter().collect();
            for uid in wanted {
                let Some(row) = model.live.get_mut(&uid) else {
                    continue;
                };
                let current_modseq = modseq_of(uid).unwrap();
                if unchanged_since.is_some_and(|limit| current_modseq > limit) {
                    modified.push(uid);
                    continue;
                }
                let shared = model_apply(op, &row.shared, &shared_part(&flags));
                let current_private = row.private.get(&user).cloned().unwrap_or(Flags {
                    seen: row.default_seen,
                    ..Flags::default()
                });
                let private = model_apply(op, &current_private, &private_part(&flags));
                let shared_changed = !model_same(&shared, &row.shared);
                let private_changed = !model_same(&private, &current_private);
                if shared_changed {
                    row.shared = shared;
                    for dirty in &mut model.dirty {
                        dirty.insert(uid);
                    }
                }
                if private_changed {
                    row.private.insert(user, private);
                    model.dirty[user].insert(uid);
                }
                if shared_changed || private_changed {
                    changed.push((uid, row.flags_for(user)));
                }
            }
            assert_eq!(outcome.modified, modified);
            let actual: Vec<(Uid, Flags)> = outcome
                .changed
                .iter()
                .map(|m| (m.uid, m.flags.clone()))
                .collect();
            assert_eq!(actual, changed);
            let mut floor = before.highest_modseq;
            for record in &outcome.changed {
                assert!(
                    record.modseq > floor,
                    "each change gets a new, higher MODSEQ"
                );
                floor = record.modseq;
            }
        }
    }
}

async fn check(store: &dyn StateStore, mailbox: i64, model: &mut Model, step: usize, op: &Op) {
    let context = format!("after step {step}: {op:?}");
    let tombstones = store
        .changes_since(mailbox, USERS[0], 0)
        .await
        .unwrap()
        .vanished;
    assert_eq!(
        tombstones,
        model.tombstones.iter().copied().collect::<Vec<_>>(),
        "{context}"
    );
    for (user, name) in USERS.iter().enumerate() {
        let snapshot = store.snapshot(mailbox, name).await.unwrap();
        assert_eq!(snapshot.record.uid_next, model.uid_next, "{context}");
        assert_eq!(
            snapshot.record.recent_watermark, model.watermark,
            "{context}"
        );
        let actual: Vec<_> = snapshot.messages.iter().map(actual_record).collect();
        let expected: Vec<_> = model
            .live
            .keys()
            .map(|&uid| model.expected_record(uid, user))
            .collect();
        assert_eq!(actual, expected, "{context}: {name}'s snapshot");
        let modseqs: BTreeSet<ModSeq> = snapshot.messages.iter().map(|m| m.modseq).collect();
        assert_eq!(
            modseqs.len(),
            snapshot.messages.len(),
            "{context}: distinct MODSEQs"
        );
        assert!(
            modseqs.iter().all(|&m| m <= snapshot.highest_modseq),
            "{context}"
        );

        let since = model.last_highest[user];
        let changes = store.changes_since(mailbox, name, since).await.unwrap();
        let expected_changed: Vec<Uid> = model.dirty[user]
            .iter()
            .copied()
            .filter(|uid| model.live.contains_key(uid))
            .collect();
        let changed: Vec<Uid> = changes.changed.iter().map(|m| m.uid).collect();
        assert_eq!(changed, expected_changed, "{context}: {name}'s changes");
        for record in &changes.changed {
            assert!(record.modseq > since, "{context}");
            let in_snapshot = snapshot.messages.iter().find(|m| m.uid == record.uid);
            assert_eq!(Some(record), in_snapshot, "{context}");
        }
        let expected_vanished: Vec<Uid> = model.vanished[user].iter().copied().collect();
        assert_eq!(
            changes.vanished, expected_vanished,
            "{context}: {name}'s vanished"
        );
        assert_eq!(changes.highest_modseq, snapshot.highest_modseq, "{context}");
        if expected_changed.is_empty() && expected_vanished.is_empty() {
            assert_eq!(
                changes.highest_modseq, since,
                "{context}: {name}'s HIGHESTMODSEQ moved without a change for them"
            );
        } else {
            assert!(changes.highest_modseq > since, "{context}");
        }
        model.last_highest[user] = changes.highest_modseq;
        model.dirty[user].clear();
        model.vanished[user].clear();
    }
}
