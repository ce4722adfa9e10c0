//! Mailbox rows: creation with a never-repeating UIDVALIDITY, the counters a transaction
//! works on, and forgetting.

use rusqlite::{Connection, OptionalExtension, params};

use super::rows::{modseq_column, modseq_sql};
use crate::state::{MailboxId, MailboxKey, MailboxRecord, ModSeq, NamedMailbox, StateError, Uid};

/// A mailbox's counters, loaded at the start of a write transaction and saved at its end.
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

fn read_counters(row: &rusqlite::Row<'_>) -> rusqlite::Result<Counters> {
    Ok(Counters {
        record: MailboxRecord {
            id: row.get(0)?,
            key: MailboxKey {
                folder_id: row.get(1)?,
                view: row.get(2)?,
            },
            uid_validity: row.get(3)?,
            uid_next: row.get(4)?,
            modseq: modseq_column(row, 5)?,
            recent_watermark: row.get(7)?,
        },
        shared_modseq: modseq_column(row, 6)?,
        name: row.get(8)?,
        dirty: false,
    })
}

impl Counters {
    /// Loads the counters of `mailbox`.
    pub(super) fn load(conn: &Connection, mailbox: MailboxId) -> Result<Self, StateError> {
        conn.query_row(
            &format!("{SELECT_MAILBOX} WHERE id = ?1"),
            [mailbox],
            read_counters,
        )
        .optional()?
        .ok_or(StateError::UnknownMailbox(mailbox))
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

    /// Writes changed counters back.
    pub(super) fn save(&self, conn: &Connection) -> Result<(), StateError> {
        if !self.dirty {
            return Ok(());
        }
        conn.execute(
            "UPDATE mailboxes SET uid_next = ?2, modseq = ?3, shared_modseq = ?4, \
             recent_watermark = ?5 WHERE id = ?1",
            params![
                self.record.id,
                self.record.uid_next,
                modseq_sql(self.record.modseq)?,
                modseq_sql(self.shared_modseq)?,
                self.record.recent_watermark,
            ],
        )?;
        Ok(())
    }
}

fn find(conn: &Connection, key: &MailboxKey) -> Result<Option<Counters>, StateError> {
    Ok(conn
        .query_row(
            &format!("{SELECT_MAILBOX} WHERE folder_id = ?1 AND view_mode = ?2"),
            params![key.folder_id, key.view],
            read_counters,
        )
        .optional()?)
}

/// Every mailbox, by id, with the name it was last opened under.
pub(super) fn all(conn: &Connection) -> Result<Vec<NamedMailbox>, StateError> {
    let mut statement = conn.prepare(&format!("{SELECT_MAILBOX} ORDER BY id"))?;
    let rows = statement.query_map([], read_counters)?;
    let mut out = Vec::new();
    for row in rows {
        let counters = row?;
        out.push(NamedMailbox {
            record: counters.record(),
            name: counters.name,
        });
    }
    Ok(out)
}

fn last_uid_validity(conn: &Connection, name_key: &str) -> Result<Option<i64>, StateError> {
    Ok(conn
        .query_row(
            "SELECT last_uid_validity FROM mailbox_names WHERE name_key = ?1",
            [name_key],
            |row| row.get(0),
        )
        .optional()?)
}

/// The mailbox for `key` if it exists and `name_key`'s UIDVALIDITY history already covers it
/// (so that nothing needs writing).
pub(super) fn find_current(
    conn: &Connection,
    key: &MailboxKey,
    name_key: &str,
) -> Result<Option<MailboxRecord>, StateError> {
    let Some(counters) = find(conn, key)? else {
        return Ok(None);
    };
    let validity = i64::from(counters.record.uid_validity);
    let covered = last_uid_validity(conn, name_key)?.is_some_and(|last| last >= validity);
    Ok((covered && counters.name == name_key).then(|| counters.record()))
}

/// Returns the mailbox for `key`, creating it with a fresh UIDVALIDITY, records its
/// UIDVALIDITY under `name_key` (a renamed mailbox protects its new name too) and remembers
/// `name_key` as its current name.
pub(super) fn open(
    conn: &Connection,
    now_ms: i64,
    key: &MailboxKey,
    name_key: &str,
) -> Result<MailboxRecord, StateError> {
    let record = match find(conn, key)? {
        Some(counters) => {
            if counters.name != name_key {
                conn.execute(
                    "UPDATE mailboxes SET name_key = ?2 WHERE id = ?1",
                    params![counters.record.id, name_key],
                )?;
            }
            counters.record()
        }
        None => create(conn, now_ms, key, name_key)?,
    };
    conn.execute(
        "INSERT INTO mailbox_names (name_key, last_uid_validity, updated_at) \
         VALUES (?1, ?2, ?3) \
         ON CONFLICT (name_key) DO UPDATE \
         SET last_uid_validity = excluded.last_uid_validity, updated_at = excluded.updated_at \
         WHERE mailbox_names.last_uid_validity < excluded.last_uid_validity",
        params![name_key, record.uid_validity, now_ms],
    )?;
    Ok(record)
}

fn create(
    conn: &Connection,
    now_ms: i64,
    key: &MailboxKey,
    name_key: &str,
) -> Result<MailboxRecord, StateError> {
    let now_seconds = now_ms.div_euclid(1000);
    let after_last = last_uid_validity(conn, name_key)?.unwrap_or(0) + 1;
    let uid_validity = u32::try_from(now_seconds.max(after_last).max(1)).map_err(|_| {
        StateError::Backend(format!("no UIDVALIDITY left for mailbox name {name_key:?}"))
    })?;
    conn.execute(
        "INSERT INTO mailboxes (folder_id, view_mode, uid_validity, uid_next, modseq, \
         shared_modseq, recent_watermark, created_at, name_key) \
         VALUES (?1, ?2, ?3, 1, 1, 1, 0, ?4, ?5)",
        params![key.folder_id, key.view, uid_validity, now_ms, name_key],
    )?;
    Ok(MailboxRecord {
        id: conn.last_insert_rowid(),
        key: key.clone(),
        uid_validity,
        uid_next: 1,
        modseq: 1,
        recent_watermark: 0,
    })
}

/// Deletes a mailbox and everything in it; the UIDVALIDITY history stays. Forgetting an
/// unknown mailbox does nothing.
pub(super) fn forget(conn: &Connection, mailbox: MailboxId) -> Result<(), StateError> {
    conn.execute("DELETE FROM mailboxes WHERE id = ?1", [mailbox])?;
    Ok(())
}
