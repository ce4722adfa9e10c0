//! The UID map: allocation, retirement, flags and change tracking.
//!
//! Every function here runs inside one transaction opened by the caller: writers in READ
//! COMMITTED, holding the mailbox row from their first statement ([`Counters::lock`]), readers
//! in REPEATABLE READ (one snapshot for all their statements). Each change takes its own
//! MODSEQ from the mailbox counter: shared changes (new, changed or retired messages) raise
//! every user's HIGHESTMODSEQ, private changes only their user's.

use std::collections::BTreeSet;

use deadpool_postgres::Transaction;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::mailboxes::Counters;
use super::rows::{
    column, keywords_sql, modseq_bound, modseq_column, modseq_sql, optional_keywords_column,
    optional_modseq_column, shared_flags_columns, u32_column,
};
use crate::state::flag_ops;
use crate::state::stored_row::{Private, Stored};
use crate::state::{
    Allocation, Changes, FlagOp, FlagOutcome, FlagUpdate, Flags, MailboxId, MailboxSnapshot,
    ModSeq, NewMessage, StateError, Uid,
};

/// Selects live rows of mailbox `$1` joined with user `$2`'s private rows.
const SELECT_WITH_PRIVATE: &str = "SELECT m.uid, m.node_id, m.identity, m.answered, \
     m.flagged, m.deleted, m.draft, m.keywords, m.default_seen, m.modseq, m.pin, \
     p.seen, p.keywords, p.modseq \
     FROM messages m LEFT JOIN private_flags p \
     ON p.mailbox_id = m.mailbox_id AND p.uid = m.uid AND p.user_name = $2 \
     WHERE m.mailbox_id = $1";

/// Selects live rows of mailbox `$1` without private rows.
const SELECT_SHARED: &str = "SELECT m.uid, m.node_id, m.identity, m.answered, \
     m.flagged, m.deleted, m.draft, m.keywords, m.default_seen, m.modseq, m.pin, \
     NULL::BOOLEAN, NULL::TEXT, NULL::BIGINT \
     FROM messages m WHERE m.mailbox_id = $1";

fn read_stored(row: &Row) -> Result<Stored, StateError> {
    let private_seen: Option<bool> = column(row, 11)?;
    let private_keywords = optional_keywords_column(row, 12)?;
    let private_modseq = optional_modseq_column(row, 13)?;
    let private = match (private_seen, private_keywords, private_modseq) {
        (Some(seen), Some(keywords), Some(modseq)) => Some(Private {
            flags: Flags {
                seen,
                keywords,
                ..Flags::default()
            },
            modseq,
        }),
        _ => None,
    };
    Ok(Stored {
        uid: u32_column(row, 0)?,
        node_id: column(row, 1)?,
        identity: column(row, 2)?,
        shared: shared_flags_columns(row, 3)?,
        default_seen: column(row, 8)?,
        modseq: modseq_column(row, 9)?,
        pin: column(row, 10)?,
        private,
    })
}

async fn query_stored(
    tx: &Transaction<'_>,
    select: &str,
    condition: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<Stored>, StateError> {
    let sql = format!("{select} {condition} ORDER BY m.uid");
    let statement = tx.prepare_cached(&sql).await?;
    tx.query(&statement, params)
        .await?
        .iter()
        .map(read_stored)
        .collect()
}

/// The live row `uid` with `user`'s private row.
async fn stored_by_uid(
    tx: &Transaction<'_>,
    mailbox: MailboxId,
    user: &str,
    uid: Uid,
) -> Result<Option<Stored>, StateError> {
    let uid = i64::from(uid);
    Ok(query_stored(
        tx,
        SELECT_WITH_PRIVATE,
        "AND m.uid = $3",
        &[&mailbox, &user, &uid],
    )
    .await?
    .pop())
}

/// The live rows of `node` (without private rows), in UID order.
async fn stored_by_node(
    tx: &Transaction<'_>,
    mailbox: MailboxId,
    node: &str,
) -> Result<Vec<Stored>, StateError> {
    query_stored(tx, SELECT_SHARED, "AND m.node_id = $2", &[&mailbox, &node]).await
}

async fn private_highest(
    tx: &Transaction<'_>,
    mailbox: MailboxId,
    user: &str,
) -> Result<Option<ModSeq>, StateError> {
    let statement = tx
        .prepare_cached(
            "SELECT modseq FROM private_modseqs WHERE mailbox_id = $1 AND user_name = $2",
        )
        .await?;
    tx.query_opt(&statement, &[&mailbox, &user])
        .await?
        .as_ref()
        .map(|row| modseq_column(row, 0))
        .transpose()
}

/// The mailbox's counters and live messages as `user` sees them.
pub(super) async fn snapshot(
    tx: &Transaction<'_>,
    mailbox: MailboxId,
    user: &str,
) -> Result<MailboxSnapshot, StateError> {
    let counters = Counters::load(tx, mailbox).await?;
    let messages = query_stored(tx, SELECT_WITH_PRIVATE, "", &[&mailbox, &user])
        .await?
        .into_iter()
        .map(Stored::record)
        .collect();
    Ok(MailboxSnapshot {
        record: counters.record(),
        highest_modseq: counters.highest_for(private_highest(tx, mailbox, user).await?),
        messages,
    })
}

/// Live messages changed after `since` as `user` sees them, and UIDs retired after it.
pub(super) async fn changes_since(
    tx: &Transaction<'_>,
    mailbox: MailboxId,
    user: &str,
    since: ModSeq,
) -> Result<Changes, StateError> {
    let counters = Counters::load(tx, mailbox).await?;
    let since = modseq_bound(since);
    let changed = query_stored(
        tx,
        SELECT_WITH_PRIVATE,
        "AND (m.modseq > $3 OR p.modseq > $3)",
        &[&mailbox, &user, &since],
    )
    .await?
    .into_iter()
    .map(Stored::record)
    .collect();
    let statement = tx
        .prepare_cached(
            "SELECT uid FROM tombstones WHERE mailbox_id = $1 AND modseq > $2 ORDER BY uid",
        )
        .await?;
    let vanished = tx
        .query(&statement, &[&mailbox, &since])
        .await?
        .iter()
        .map(|row| u32_column(row, 0))
        .collect::<Result<Vec<Uid>, _>>()?;
    Ok(Changes {
        changed,
        vanished,
        highest_modseq: counters.highest_for(private_highest(tx, mailbox, user).await?),
    })
}

/// Assigns UIDs (see [`StateStore::allocate`](crate::state::StateStore::allocate)).
pub(super) async fn allocate(
    tx: &Transaction<'_>,
    now_ms: i64,
    mailbox: MailboxId,
    new: &[NewMessage],
    claim_recent: bool,
) -> Result<Allocation, StateError> {
    let mut counters = Counters::lock(tx, mailbox).await?;
    let mut uids = Vec::with_capacity(new.len());
    let mut retired = Vec::new();
    for request in new {
        let uid = allocate_one(tx, now_ms, &mut counters, request, &mut retired).await?;
        uids.push(uid);
    }
    let recent = if claim_recent {
        counters.claim_recent()
    } else {
        None
    };
    counters.save(tx).await?;
    retired.sort_unstable();
    Ok(Allocation {
        uids,
        retired,
        recent,
        record: counters.record(),
    })
}

async fn allocate_one(
    tx: &Transaction<'_>,
    now_ms: i64,
    counters: &mut Counters,
    request: &NewMessage,
    retired: &mut Vec<Uid>,
) -> Result<Uid, StateError> {
    let mailbox = counters.id();
    let requested = flag_ops::normalized(&request.shared_flags.shared());
    let (mut same_pair, superseded): (Vec<Stored>, Vec<Stored>) =
        stored_by_node(tx, mailbox, &request.node_id)
            .await?
            .into_iter()
            .partition(|row| row.identity == request.identity);
    // The node has one identity now: every live row of another identity is stale.
    for row in &superseded {
        retire_row(tx, now_ms, counters, row).await?;
        retired.push(row.uid);
    }

    if let Some(live) = same_pair.pop() {
        // A concurrent writer got there first: keep its UID, add what this request asked for.
        let shared = flag_ops::apply(FlagOp::Add, &live.shared, &requested);
        if !flag_ops::same(&shared, &live.shared) {
            let modseq = counters.next_shared_modseq()?;
            write_shared(tx, mailbox, live.uid, &shared, modseq).await?;
        }
        if let Some((user, flags)) = &request.private_flags {
            let current = stored_by_uid(tx, mailbox, user, live.uid)
                .await?
                .map(|row| row.private_flags())
                .unwrap_or_default();
            let private = flag_ops::apply(FlagOp::Add, &current, &flags.private());
            if !flag_ops::same(&private, &current) {
                let modseq = counters.next_private_modseq()?;
                write_private(tx, mailbox, live.uid, user, &private, modseq).await?;
            }
        }
        return Ok(live.uid);
    }

    // The shared flags of the row this one replaces (or, if a concurrent writer replaced
    // that one already, of the newest row of the node) carry over.
    let carried = superseded
        .iter()
        .find(|row| Some(row.uid) == request.replaces)
        .or(superseded.last());
    let shared = match carried {
        Some(row) => row.shared.clone(),
        None => requested,
    };
    let uid = counters.next_uid()?;
    let modseq = counters.next_shared_modseq()?;
    let statement = tx
        .prepare_cached(
            "INSERT INTO messages (mailbox_id, uid, node_id, identity, answered, flagged, \
             deleted, draft, keywords, default_seen, modseq, pin, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .await?;
    tx.execute(
        &statement,
        &[
            &mailbox,
            &i64::from(uid),
            &request.node_id,
            &request.identity,
            &shared.answered,
            &shared.flagged,
            &shared.deleted,
            &shared.draft,
            &keywords_sql(&shared.keywords)?,
            &request.default_seen,
            &modseq_sql(modseq)?,
            &request.pin,
            &now_ms,
        ],
    )
    .await?;
    if let Some((user, flags)) = &request.private_flags {
        let private = flag_ops::normalized(&flags.private());
        write_private(tx, mailbox, uid, user, &private, modseq).await?;
    }
    Ok(uid)
}

/// Moves a live row to the tombstones with a fresh MODSEQ; its private rows go with it.
async fn retire_row(
    tx: &Transaction<'_>,
    now_ms: i64,
    counters: &mut Counters,
    row: &Stored,
) -> Result<(), StateError> {
    let mailbox = counters.id();
    let modseq = counters.next_shared_modseq()?;
    let uid = i64::from(row.uid);
    let delete = tx
        .prepare_cached("DELETE FROM messages WHERE mailbox_id = $1 AND uid = $2")
        .await?;
    tx.execute(&delete, &[&mailbox, &uid]).await?;
    let insert = tx
        .prepare_cached(
            "INSERT INTO tombstones (mailbox_id, uid, node_id, identity, modseq, retired_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .await?;
    tx.execute(
        &insert,
        &[
            &mailbox,
            &uid,
            &row.node_id,
            &row.identity,
            &modseq_sql(modseq)?,
            &now_ms,
        ],
    )
    .await?;
    Ok(())
}

async fn write_shared(
    tx: &Transaction<'_>,
    mailbox: MailboxId,
    uid: Uid,
    shared: &Flags,
    modseq: ModSeq,
) -> Result<(), StateError> {
    let statement = tx
        .prepare_cached(
            "UPDATE messages SET answered = $3, flagged = $4, deleted = $5, draft = $6, \
             keywords = $7, modseq = $8 WHERE mailbox_id = $1 AND uid = $2",
        )
        .await?;
    tx.execute(
        &statement,
        &[
            &mailbox,
            &i64::from(uid),
            &shared.answered,
            &shared.flagged,
            &shared.deleted,
            &shared.draft,
            &keywords_sql(&shared.keywords)?,
            &modseq_sql(modseq)?,
        ],
    )
    .await?;
    Ok(())
}

/// Writes `user`'s private row of `uid` and raises the user's highest private MODSEQ.
async fn write_private(
    tx: &Transaction<'_>,
    mailbox: MailboxId,
    uid: Uid,
    user: &str,
    private: &Flags,
    modseq: ModSeq,
) -> Result<(), StateError> {
    let modseq = modseq_sql(modseq)?;
    let flags = tx
        .prepare_cached(
            "INSERT INTO private_flags (mailbox_id, uid, user_name, seen, keywords, modseq) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (mailbox_id, uid, user_name) DO UPDATE \
             SET seen = excluded.seen, keywords = excluded.keywords, modseq = excluded.modseq",
        )
        .await?;
    tx.execute(
        &flags,
        &[
            &mailbox,
            &i64::from(uid),
            &user,
            &private.seen,
            &keywords_sql(&private.keywords)?,
            &modseq,
        ],
    )
    .await?;
    let highest = tx
        .prepare_cached(
            "INSERT INTO private_modseqs (mailbox_id, user_name, modseq) VALUES ($1, $2, $3) \
             ON CONFLICT (mailbox_id, user_name) DO UPDATE SET modseq = excluded.modseq \
             WHERE private_modseqs.modseq < excluded.modseq",
        )
        .await?;
    tx.execute(&highest, &[&mailbox, &user, &modseq]).await?;
    Ok(())
}

/// Retires live rows; returns those retired, ascending.
pub(super) async fn retire(
    tx: &Transaction<'_>,
    now_ms: i64,
    mailbox: MailboxId,
    uids: &[Uid],
) -> Result<Vec<Uid>, StateError> {
    let mut counters = Counters::lock(tx, mailbox).await?;
    let mut retired = Vec::new();
    let wanted: BTreeSet<Uid> = uids.iter().copied().collect();
    for uid in wanted {
        let sql_uid = i64::from(uid);
        let shared =
            query_stored(tx, SELECT_SHARED, "AND m.uid = $2", &[&mailbox, &sql_uid]).await?;
        for row in shared {
            retire_row(tx, now_ms, &mut counters, &row).await?;
            retired.push(uid);
        }
    }
    counters.save(tx).await?;
    Ok(retired)
}

/// Applies a STORE for `user` (see
/// [`StateStore::store_flags`](crate::state::StateStore::store_flags)).
pub(super) async fn store_flags(
    tx: &Transaction<'_>,
    mailbox: MailboxId,
    user: &str,
    update: &FlagUpdate,
) -> Result<FlagOutcome, StateError> {
    let mut counters = Counters::lock(tx, mailbox).await?;
    let requested_shared = update.flags.shared();
    let requested_private = update.flags.private();
    let mut outcome = FlagOutcome::default();
    let wanted: BTreeSet<Uid> = update.uids.iter().copied().collect();
    for uid in wanted {
        let Some(mut row) = stored_by_uid(tx, mailbox, user, uid).await? else {
            continue;
        };
        let seen_modseq = row.modseq.max(row.private.as_ref().map_or(0, |p| p.modseq));
        if update
            .unchanged_since
            .is_some_and(|limit| seen_modseq > limit)
        {
            outcome.modified.push(uid);
            continue;
        }
        let current_private = row.private_flags();
        let shared = flag_ops::apply(update.op, &row.shared, &requested_shared);
        let private = flag_ops::apply(update.op, &current_private, &requested_private);
        let shared_changed = !flag_ops::same(&shared, &row.shared);
        let private_changed = !flag_ops::same(&private, &current_private);
        if !shared_changed && !private_changed {
            continue;
        }
        let modseq = if shared_changed {
            counters.next_shared_modseq()?
        } else {
            counters.next_private_modseq()?
        };
        if shared_changed {
            write_shared(tx, mailbox, uid, &shared, modseq).await?;
            row.shared = shared;
            row.modseq = modseq;
        }
        if private_changed {
            write_private(tx, mailbox, uid, user, &private, modseq).await?;
            row.private = Some(Private {
                flags: private,
                modseq,
            });
        }
        outcome.changed.push(row.record());
    }
    counters.save(tx).await?;
    Ok(outcome)
}
