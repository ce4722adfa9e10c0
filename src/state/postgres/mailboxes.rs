//! Mailbox rows: creation with a never-repeating UIDVALIDITY, the counters a transaction
//! works on (holding the mailbox row), and forgetting.

use deadpool_postgres::Transaction;
use tokio_postgres::Row;

use super::rows::{column, modseq_column, modseq_sql, u32_column};
use crate::state::{MailboxId, MailboxKey, MailboxRecord, ModSeq, NamedMailbox, StateError, Uid};

/// A mailbox's counters, loaded at the start of a transaction and saved at its end.
#[derive(Debug)]
pub(super) struct Counters {
    record: MailboxRecord,
    /// The name the mailbox was last opened under.
    name: String,
    shared_modseq: ModSeq,
    dirty: bool,
}

const SELECT_MAILBOX: &str = "SELECT id, folder_id, view_mode, uid_validity, uid_next, modseq, \
     shared_modseq, recent_watermark, name_key FROM mailboxes";

fn read_counters(row: &Row) -> Result<Counters, StateError> {
    Ok(Counters {
        record: MailboxRecord {
            id: column(row, 0)?,
            key: MailboxKey {
                folder_id: column(row, 1)?,
                view: column(row, 2)?,
            },
            uid_validity: u32_column(row, 3)?,
            uid_next: u32_column(row, 4)?,
            modseq: modseq_column(row, 5)?,
            recent_watermark: u32_column(row, 7)?,
        },
        shared_modseq: modseq_column(row, 6)?,
        name: column(row, 8)?,
        dirty: false,
    })
}

impl Counters {
    /// Loads the counters of `mailbox` as the transaction's snapshot shows them (readers).
    pub(super) async fn load(tx: &Transaction<'_>, mailbox: MailboxId) -> Result<Self, StateError> {
        let statement = tx
            .prepare_cached(&format!("{SELECT_MAILBOX} WHERE id = $1"))
            .await?;
        Self::from_row(tx.query_opt(&statement, &[&mailbox]).await?, mailbox)
    }

    /// Loads the counters of `mailbox` and holds its row until the transaction ends
    /// (`SELECT ... FOR UPDATE`): writers of one mailbox take turns, so two replicas never
    /// disagree about a UID, and each sees everything the one before it committed.
    pub(super) async fn lock(tx: &Transaction<'_>, mailbox: MailboxId) -> Result<Self, StateError> {
        let statement = tx
            .prepare_cached(&format!("{SELECT_MAILBOX} WHERE id = $1 FOR UPDATE"))
            .await?;
        Self::from_row(tx.query_opt(&statement, &[&mailbox]).await?, mailbox)
    }

    fn from_row(row: Option<Row>, mailbox: MailboxId) -> Result<Self, StateError> {
        match row {
            Some(row) => read_counters(&row),
            None => Err(StateError::UnknownMailbox(mailbox)),
        }
    }

    /// The mailbox's record as the counters stand.
    pub(super) fn record(&self) -> MailboxRecord {
        self.record.clone()
    }

    /// The mailbox's id.
    pub(super) fn id(&self) -> MailboxId {
        self.record.id
    }

    /// HIGHESTMODSEQ for a user whose highest private MODSEQ is `private`.
    pub(super) fn highest_for(&self, private: Option<ModSeq>) -> ModSeq {
        self.shared_modseq.max(private.unwrap_or(0))
    }

    /// Takes the next MODSEQ for a change that only one user sees.
    pub(super) fn next_private_modseq(&mut self) -> Result<ModSeq, StateError> {
        let next = self
            .record
            .modseq
            .checked_add(1)
            .filter(|m| i64::try_from(*m).is_ok())
            .ok_or_else(|| StateError::Backend("MODSEQ space exhausted".into()))?;
        self.record.modseq = next;
        self.dirty = true;
        Ok(next)
    }

    /// Takes the next MODSEQ for a change every user sees (a new, changed or retired message).
    pub(super) fn next_shared_modseq(&mut self) -> Result<ModSeq, StateError> {
        let next = self.next_private_modseq()?;
        self.shared_modseq = next;
        Ok(next)
    }

    /// Takes the next UID; the last UID a mailbox can hand out is `u32::MAX - 1`, so that
    /// UIDNEXT stays representable.
    pub(super) fn next_uid(&mut self) -> Result<Uid, StateError> {
        let uid = self.record.uid_next;
        if uid == Uid::MAX {
            return Err(StateError::UidsExhausted(self.record.id));
        }
        self.record.uid_next = uid + 1;
        self.dirty = true;
        Ok(uid)
    }

    /// Claims every UID above the `\Recent` watermark; `None` when there is none.
    pub(super) fn claim_recent(&mut self) -> Option<std::ops::RangeInclusive<Uid>> {
        let first = self.record.recent_watermark + 1;
        let last = self.record.uid_next - 1;
        if first > last {
            return None;
        }
        self.record.recent_watermark = last;
        self.dirty = true;
        Some(first..=last)
    }

    /// Writes changed counters back (the row is held since [`Counters::lock`]).
    pub(super) async fn save(&self, tx: &Transaction<'_>) -> Result<(), StateError> {
        if !self.dirty {
            return Ok(());
        }
        let statement = tx
            .prepare_cached(
                "UPDATE mailboxes SET uid_next = $2, modseq = $3, shared_modseq = $4, \
                 recent_watermark = $5 WHERE id = $1",
            )
            .await?;
        tx.execute(
            &statement,
            &[
                &self.record.id,
                &i64::from(self.record.uid_next),
                &modseq_sql(self.record.modseq)?,
                &modseq_sql(self.shared_modseq)?,
                &i64::from(self.record.recent_watermark),
            ],
        )
        .await?;
        Ok(())
    }
}

async fn find(tx: &Transaction<'_>, key: &MailboxKey) -> Result<Option<Counters>, StateError> {
    let statement = tx
        .prepare_cached(&format!(
            "{SELECT_MAILBOX} WHERE folder_id = $1 AND view_mode = $2"
        ))
        .await?;
    tx.query_opt(&statement, &[&key.folder_id, &key.view])
        .await?
        .as_ref()
        .map(read_counters)
        .transpose()
}

/// Every mailbox, by id, with the name it was last opened under.
pub(super) async fn all(tx: &Transaction<'_>) -> Result<Vec<NamedMailbox>, StateError> {
    let statement = tx
        .prepare_cached(&format!("{SELECT_MAILBOX} ORDER BY id"))
        .await?;
    tx.query(&statement, &[])
        .await?
        .iter()
        .map(|row| {
            let counters = read_counters(row)?;
            Ok(NamedMailbox {
                record: counters.record(),
                name: counters.name,
            })
        })
        .collect()
}

async fn last_uid_validity(
    tx: &Transaction<'_>,
    name_key: &str,
    for_update: bool,
) -> Result<Option<i64>, StateError> {
    let lock = if for_update { " FOR UPDATE" } else { "" };
    let statement = tx
        .prepare_cached(&format!(
            "SELECT last_uid_validity FROM mailbox_names WHERE name_key = $1{lock}"
        ))
        .await?;
    tx.query_opt(&statement, &[&name_key])
        .await?
        .as_ref()
        .map(|row| column(row, 0))
        .transpose()
}

/// The mailbox for `key` if it exists and `name_key`'s UIDVALIDITY history already covers it
/// (so that nothing needs writing).
pub(super) async fn find_current(
    tx: &Transaction<'_>,
    key: &MailboxKey,
    name_key: &str,
) -> Result<Option<MailboxRecord>, StateError> {
    let Some(counters) = find(tx, key).await? else {
        return Ok(None);
    };
    let validity = i64::from(counters.record.uid_validity);
    let covered = last_uid_validity(tx, name_key, false)
        .await?
        .is_some_and(|last| last >= validity);
    Ok((covered && counters.name == name_key).then(|| counters.record()))
}

/// Returns the mailbox for `key`, creating it with a fresh UIDVALIDITY, records its
/// UIDVALIDITY under `name_key` (a renamed mailbox protects its new name too) and remembers
/// `name_key` as its current name.
///
/// Concurrent calls are safe without retries: the name's history row is held first (one
/// writer per name at a time, so two new mailboxes under one name never get the same
/// UIDVALIDITY), and a mailbox created meanwhile by another writer is found, not duplicated.
pub(super) async fn open(
    tx: &Transaction<'_>,
    now_ms: i64,
    key: &MailboxKey,
    name_key: &str,
) -> Result<MailboxRecord, StateError> {
    let last = hold_name(tx, now_ms, name_key).await?;
    let existing = match find(tx, key).await? {
        Some(counters) => Some(counters),
        None => match create(tx, now_ms, key, name_key, last).await? {
            Some(record) => {
                return remember_validity(tx, now_ms, name_key, record).await;
            }
            // Another writer created it after this transaction looked: it is committed now.
            None => find(tx, key).await?,
        },
    };
    let counters =
        existing.ok_or_else(|| StateError::Backend("a new mailbox row vanished".into()))?;
    if counters.name != name_key {
        let statement = tx
            .prepare_cached("UPDATE mailboxes SET name_key = $2 WHERE id = $1")
            .await?;
        tx.execute(&statement, &[&counters.record.id, &name_key])
            .await?;
    }
    remember_validity(tx, now_ms, name_key, counters.record()).await
}

/// Raises `name_key`'s UIDVALIDITY history (its row is held) to cover `record`.
async fn remember_validity(
    tx: &Transaction<'_>,
    now_ms: i64,
    name_key: &str,
    record: MailboxRecord,
) -> Result<MailboxRecord, StateError> {
    let statement = tx
        .prepare_cached(
            "UPDATE mailbox_names SET last_uid_validity = $2, updated_at = $3 \
             WHERE name_key = $1 AND last_uid_validity < $2",
        )
        .await?;
    tx.execute(
        &statement,
        &[&name_key, &i64::from(record.uid_validity), &now_ms],
    )
    .await?;
    Ok(record)
}

/// Holds `name_key`'s history row until the transaction ends, creating it if needed; returns
/// the last UIDVALIDITY used under the name (`None` for a name never used before).
async fn hold_name(
    tx: &Transaction<'_>,
    now_ms: i64,
    name_key: &str,
) -> Result<Option<i64>, StateError> {
    // A new row starts at the lowest valid value and is raised before the commit; until then
    // it is invisible, and other writers of the name wait for it.
    let statement = tx
        .prepare_cached(
            "INSERT INTO mailbox_names (name_key, last_uid_validity, updated_at) \
             VALUES ($1, 1, $2) ON CONFLICT (name_key) DO NOTHING RETURNING name_key",
        )
        .await?;
    if tx
        .query_opt(&statement, &[&name_key, &now_ms])
        .await?
        .is_some()
    {
        return Ok(None);
    }
    let last = last_uid_validity(tx, name_key, true).await?;
    if last.is_none() {
        return Err(StateError::Backend(format!(
            "the history of mailbox name {name_key:?} vanished"
        )));
    }
    Ok(last)
}

/// Inserts the mailbox for `key`; `None` when another writer inserted it first.
async fn create(
    tx: &Transaction<'_>,
    now_ms: i64,
    key: &MailboxKey,
    name_key: &str,
    last: Option<i64>,
) -> Result<Option<MailboxRecord>, StateError> {
    let now_seconds = now_ms.div_euclid(1000);
    let after_last = last.unwrap_or(0) + 1;
    let uid_validity = u32::try_from(now_seconds.max(after_last).max(1)).map_err(|_| {
        StateError::Backend(format!("no UIDVALIDITY left for mailbox name {name_key:?}"))
    })?;
    let statement = tx
        .prepare_cached(
            "INSERT INTO mailboxes (folder_id, view_mode, uid_validity, uid_next, modseq, \
             shared_modseq, recent_watermark, created_at, name_key) \
             VALUES ($1, $2, $3, 1, 1, 1, 0, $4, $5) ON CONFLICT (folder_id, view_mode) DO NOTHING RETURNING id",
        )
        .await?;
    let inserted = tx
        .query_opt(
            &statement,
            &[
                &key.folder_id,
                &key.view,
                &i64::from(uid_validity),
                &now_ms,
                &name_key,
            ],
        )
        .await?;
    let Some(row) = inserted else {
        return Ok(None);
    };
    Ok(Some(MailboxRecord {
        id: column(&row, 0)?,
        key: key.clone(),
        uid_validity,
        uid_next: 1,
        modseq: 1,
        recent_watermark: 0,
    }))
}

/// Deletes a mailbox and everything in it; the UIDVALIDITY history stays. Forgetting an
/// unknown mailbox does nothing. Deleting the row waits for the mailbox's current writer.
pub(super) async fn forget(tx: &Transaction<'_>, mailbox: MailboxId) -> Result<(), StateError> {
    let statement = tx
        .prepare_cached("DELETE FROM mailboxes WHERE id = $1")
        .await?;
    tx.execute(&statement, &[&mailbox]).await?;
    Ok(())
}
