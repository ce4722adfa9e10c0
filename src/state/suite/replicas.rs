//! Two replicas (two handles, each with its own connections, as two processes would have)
//! allocating into one mailbox at once: no UID is handed out twice, every request gets one,
//! and UIDNEXT, as anyone reads it, never moves back.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{Factory, clock, mailbox, message};
use crate::state::{StateStore, Uid};

/// Allocations each replica makes.
const PER_REPLICA: usize = 60;

/// Messages per allocation (APPENDs are one, reconciliations of a listing several).
const BATCH: usize = 3;

pub(crate) async fn two_replicas_never_hand_out_one_uid_twice(factory: Factory) {
    let backing = factory();
    let clock = clock();
    let replica_a = backing.open(clock.clone()).await;
    let replica_b = backing.open(clock.clone()).await;
    let mb = mailbox(&*replica_a, "shared").await;
    assert_eq!(mailbox(&*replica_b, "shared").await.id, mb.id);

    let done = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (store, done) = (replica_b.clone(), done.clone());
        tokio::spawn(async move {
            let mut seen = Vec::new();
            while !done.load(Ordering::Acquire) {
                seen.push(
                    store
                        .snapshot(mb.id, "watcher")
                        .await
                        .unwrap()
                        .record
                        .uid_next,
                );
                tokio::task::yield_now().await;
            }
            seen
        })
    };
    let writer = |store: Arc<dyn StateStore>, name: &'static str| {
        tokio::spawn(async move {
            let mut uids = Vec::new();
            let mut uid_nexts = Vec::new();
            for round in 0..PER_REPLICA {
                let batch: Vec<_> = (0..BATCH)
                    .map(|i| message(&format!("{name}-{round}-{i}"), "v1"))
                    .collect();
                let allocation = store.allocate(mb.id, &batch, false).await.unwrap();
                assert_eq!(allocation.uids.len(), BATCH);
                // Within one allocation UIDs ascend in request order.
                assert!(allocation.uids.windows(2).all(|w| w[0] < w[1]));
                assert!(
                    allocation
                        .uids
                        .iter()
                        .all(|u| *u < allocation.record.uid_next)
                );
                uids.extend(allocation.uids);
                uid_nexts.push(allocation.record.uid_next);
            }
            (uids, uid_nexts)
        })
    };
    let a = writer(replica_a.clone(), "a");
    let b = writer(replica_b.clone(), "b");
    let (uids_a, next_a) = a.await.unwrap();
    let (uids_b, next_b) = b.await.unwrap();
    done.store(true, Ordering::Release);
    let watched = watcher.await.unwrap();

    let all: Vec<Uid> = uids_a.iter().chain(&uids_b).copied().collect();
    let distinct: BTreeSet<Uid> = all.iter().copied().collect();
    assert_eq!(distinct.len(), all.len(), "a UID was handed out twice");
    let total = (2 * PER_REPLICA * BATCH) as Uid;
    assert_eq!(distinct, (1..=total).collect::<BTreeSet<_>>());
    for series in [&next_a, &next_b, &watched] {
        assert!(
            series.windows(2).all(|w| w[0] <= w[1]),
            "UIDNEXT moved back: {series:?}"
        );
    }
    // Each replica's own allocations strictly raise UIDNEXT.
    assert!(next_a.windows(2).all(|w| w[0] < w[1]));
    assert!(next_b.windows(2).all(|w| w[0] < w[1]));

    let snapshot = replica_a.snapshot(mb.id, "alice").await.unwrap();
    assert_eq!(snapshot.record.uid_next, total + 1);
    let live: Vec<Uid> = snapshot.messages.iter().map(|m| m.uid).collect();
    assert_eq!(live, (1..=total).collect::<Vec<_>>());
}
