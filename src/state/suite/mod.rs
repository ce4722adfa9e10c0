//! The behaviour every [`StateStore`] implementation must show, as one reusable test suite.
//!
//! An implementation runs the whole suite with `state_suite!(factory)` inside its test module,
//! where `factory` is a `fn() -> Box<dyn Backing>` that makes fresh, empty storage. Every
//! test in the suite is an ordinary function taking that factory, so the PostgreSQL store
//! runs the very same tests.
//!
//! - [`primitives`]: every primitive of the trait, with exact expected values.
//! - [`views`]: the shared [`reconcile`](crate::state::reconcile()) on top of a store.
//! - [`model`]: property test of reconciliation and flags against an independent model,
//!   with several users, changing listings, retirements and restores.
//! - [`concurrency`]: property test of two writers on two handles of one storage.
//! - [`replicas`]: two handles allocating into one mailbox at once (UIDs across replicas).

pub(crate) mod concurrency;
pub(crate) mod model;
pub(crate) mod primitives;
pub(crate) mod replicas;
pub(crate) mod views;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{TimeZone, Utc};

use crate::clock::{ManualClock, SharedClock};
use crate::state::{
    Flags, ListedItem, MailboxId, MailboxKey, MailboxRecord, NewMessage, StateStore, Uid,
};

/// Storage for one test: opens handles (each with its own connection, as separate processes
/// would have) onto the same data.
#[async_trait]
pub(crate) trait Backing: Send + Sync {
    /// Opens another handle on this storage.
    async fn open(&self, clock: SharedClock) -> Arc<dyn StateStore>;

    /// Sets a mailbox's UIDNEXT behind the store's back (to test UID exhaustion).
    async fn force_uid_next(&self, mailbox: MailboxId, uid_next: Uid);
}

/// Makes fresh, empty storage.
pub(crate) type Factory = fn() -> Box<dyn Backing>;

/// The time every test starts at: 2024-05-01T12:00:00Z.
pub(crate) const T0: i64 = 1_714_564_800;

/// A manual clock standing at [`T0`].
pub(crate) fn clock() -> Arc<ManualClock> {
    ManualClock::new(Utc.timestamp_opt(T0, 0).single().unwrap())
}

/// Fresh storage, one handle on it, and the clock it uses.
pub(crate) async fn setup(
    factory: Factory,
) -> (Box<dyn Backing>, Arc<dyn StateStore>, Arc<ManualClock>) {
    let backing = factory();
    let clock = clock();
    let store = backing.open(clock.clone()).await;
    (backing, store, clock)
}

/// The key of `folder` in the ARCHIVE view.
pub(crate) fn key(folder: &str) -> MailboxKey {
    MailboxKey {
        folder_id: folder.to_owned(),
        view: "archive".to_owned(),
    }
}

/// Opens `folder` (ARCHIVE view) under the name `folder`.
pub(crate) async fn mailbox(store: &dyn StateStore, folder: &str) -> MailboxRecord {
    store.open_mailbox(&key(folder), folder).await.unwrap()
}

/// Flags from IMAP-like names: `\Seen`, `\Answered`, `\Flagged`, `\Deleted`, `\Draft`, and
/// anything else as a keyword.
pub(crate) fn flags(names: &[&str]) -> Flags {
    let mut flags = Flags::default();
    for name in names {
        match *name {
            "\\Seen" => flags.seen = true,
            "\\Answered" => flags.answered = true,
            "\\Flagged" => flags.flagged = true,
            "\\Deleted" => flags.deleted = true,
            "\\Draft" => flags.draft = true,
            keyword => {
                flags.keywords.insert(keyword.to_owned());
            }
        }
    }
    flags
}

/// A request for a new (node, identity) pair without flags.
pub(crate) fn message(node: &str, identity: &str) -> NewMessage {
    NewMessage {
        node_id: node.to_owned(),
        identity: identity.to_owned(),
        shared_flags: Flags::default(),
        default_seen: false,
        private_flags: None,
        replaces: None,
        pin: None,
    }
}

/// A listed item without imported flags.
pub(crate) fn item(node: &str, identity: &str, arrival: i64) -> ListedItem {
    ListedItem {
        node_id: node.to_owned(),
        identity: identity.to_owned(),
        arrival,
        imported_flags: Flags::default(),
        pin: Some(format!("pin:{node}:{identity}").into_bytes()),
    }
}

/// Instantiates the whole suite as `#[test]`s in the calling module.
macro_rules! state_suite {
    ($factory:expr) => {
        $crate::state::suite::state_suite!(@async $factory;
            primitives::open_mailbox_is_stable,
            primitives::views_of_one_folder_are_separate_mailboxes,
            primitives::uid_validity_never_repeats_for_a_name,
            primitives::uid_validity_is_never_zero,
            primitives::renamed_mailbox_protects_its_new_name,
            primitives::allocate_follows_request_order,
            primitives::live_pair_keeps_its_uid_and_gains_flags,
            primitives::concurrent_allocations_of_one_pair_agree,
            primitives::replacement_carries_shared_flags_only,
            primitives::new_identity_retires_every_other_row_of_the_node,
            primitives::restored_pair_gets_a_new_uid,
            primitives::private_flags_of_a_new_message_belong_to_one_user,
            primitives::default_seen_applies_until_a_user_sets_their_own,
            primitives::recent_is_claimed_once,
            primitives::uid_exhaustion_is_an_error_and_changes_nothing,
            primitives::unknown_mailbox_is_an_error,
            primitives::retire_makes_tombstones_with_fresh_modseqs,
            primitives::store_adds_removes_and_replaces,
            primitives::store_changes_only_what_changes,
            primitives::keywords_compare_case_insensitively,
            primitives::private_changes_stay_with_their_user,
            primitives::unchanged_since_uses_the_users_modseq,
            primitives::store_ignores_retired_and_unknown_uids,
            primitives::forget_mailbox_keeps_the_uid_validity_history,
            primitives::subscriptions_are_per_user_and_sorted,
            primitives::summaries_and_templates_are_kept,
            primitives::mailboxes_are_listed_with_their_last_names,
            primitives::state_survives_reopening,
            views::new_items_get_uids_in_arrival_order,
            views::arrival_ties_are_broken_by_node_id,
            views::identity_change_gives_a_new_uid,
            views::users_see_only_their_own_listing,
            views::seen_is_private_in_views,
            views::imported_flags_apply_on_first_sight_only,
            views::restored_node_gets_a_new_uid,
            views::duplicate_node_ids_keep_their_last_occurrence,
            views::skipped_items_are_not_retired,
            views::recent_is_claimed_by_the_first_read_write_reconcile,
            replicas::two_replicas_never_hand_out_one_uid_twice,
        );
        $crate::state::suite::state_suite!(@blocking $factory;
            model::reconciliation_matches_the_model,
            concurrency::two_writers_never_disagree,
        );
    };
    (@async $factory:expr; $($module:ident :: $name:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            $crate::state::suite::$module::$name($factory).await;
        }
    )*};
    (@blocking $factory:expr; $($module:ident :: $name:ident),* $(,)?) => {$(
        #[test]
        fn $name() {
            $crate::state::suite::$module::$name($factory);
        }
    )*};
}
pub(crate) use state_suite;
