//! A [`StateStore`] in memory: for the protocol tests and the fuzz target, where a database
//! would only add noise. It keeps nothing across restarts and is not for production.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use super::*;
use crate::clock::SharedClock;

/// The in-memory state store.
#[derive(Debug)]
pub struct MemoryStore {
    clock: SharedClock,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    mailboxes: BTreeMap<MailboxId, Mailbox>,
    keys: HashMap<MailboxKey, MailboxId>,
    last_validity: HashMap<String, u32>,
    subscriptions: BTreeMap<(String, String), bool>,
    summaries: HashMap<String, Vec<u8>>,
    templates: HashMap<String, String>,
}

#[derive(Debug)]
struct Mailbox {
    record: MailboxRecord,
    live: BTreeMap<Uid, Row>,
    tombstones: BTreeMap<Uid, ModSeq>,
    /// (user, uid) → private flags and their MODSEQ.
    private: HashMap<(String, Uid), (Flags, ModSeq)>,
}

#[derive(Debug, Clone)]
struct Row {
    node_id: String,
    identity: String,
    shared: Flags,
    default_seen: bool,
    modseq: ModSeq,
    pin: Option<Vec<u8>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new(clock: SharedClock) -> Self {
        Self {
            clock,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Mailbox {
    fn next_modseq(&mut self) -> ModSeq {
        self.record.modseq += 1;
        self.record.modseq
    }

    fn private_of(&self, user: &str, uid: Uid, row: &Row) -> (Flags, ModSeq) {
        self.private
            .get(&(user.to_owned(), uid))
            .cloned()
            .unwrap_or_else(|| {
                (
                    Flags {
                        seen: row.default_seen,
                        ..Flags::default()
                    },
                    0,
                )
            })
    }

    fn record_for(&self, user: &str, uid: Uid, row: &Row) -> MessageRecord {
        let (private, private_modseq) = self.private_of(user, uid, row);
        MessageRecord {
            uid,
            node_id: row.node_id.clone(),
            identity: row.identity.clone(),
            flags: Flags::merged(&row.shared, &private),
            modseq: row.modseq.max(private_modseq),
            pin: row.pin.clone(),
        }
    }

    fn highest_for(&self, user: &str) -> ModSeq {
        let shared = self.live.values().map(|r| r.modseq).max().unwrap_or(0);
        let gone = self.tombstones.values().copied().max().unwrap_or(0);
        let private = self
            .private
            .iter()
            .filter(|((u, _), _)| u == user)
            .map(|(_, (_, m))| *m)
            .max()
            .unwrap_or(0);
        shared.max(gone).max(private)
    }

    fn retire(&mut self, uid: Uid) -> bool {
        if self.live.remove(&uid).is_none() {
            return false;
        }
        let modseq = self.next_modseq();
        self.tombstones.insert(uid, modseq);
        self.private.retain(|(_, u), _| *u != uid);
        true
    }
}

fn unknown(id: MailboxId) -> StateError {
    StateError::UnknownMailbox(id)
}

#[async_trait]
impl StateStore for MemoryStore {
    async fn open_mailbox(
        &self,
        key: &MailboxKey,
        name_key: &str,
    ) -> Result<MailboxRecord, StateError> {
        let now = u32::try_from(self.clock.now().timestamp().max(1)).unwrap_or(u32::MAX);
        let mut inner = self.lock();
        if let Some(id) = inner.keys.get(key) {
            return Ok(inner.mailboxes[id].record.clone());
        }
        let last = inner.last_validity.get(name_key).copied().unwrap_or(0);
        let validity = now.max(last.saturating_add(1));
        inner.last_validity.insert(name_key.to_owned(), validity);
        let id = inner.mailboxes.keys().next_back().copied().unwrap_or(0) + 1;
        let record = MailboxRecord {
            id,
            key: key.clone(),
            uid_validity: validity,
            uid_next: 1,
            modseq: 1,
            recent_watermark: 0,
        };
        inner.keys.insert(key.clone(), id);
        inner.mailboxes.insert(
            id,
            Mailbox {
                record: record.clone(),
                live: BTreeMap::new(),
                tombstones: BTreeMap::new(),
                private: HashMap::new(),
            },
        );
        Ok(record)
    }

    async fn snapshot(
        &self,
        mailbox: MailboxId,
        user: &str,
    ) -> Result<MailboxSnapshot, StateError> {
        let inner = self.lock();
        let mb = inner
            .mailboxes
            .get(&mailbox)
            .ok_or_else(|| unknown(mailbox))?;
        Ok(MailboxSnapshot {
            record: mb.record.clone(),
            highest_modseq: mb.highest_for(user),
            messages: mb
                .live
                .iter()
                .map(|(uid, row)| mb.record_for(user, *uid, row))
                .collect(),
        })
    }

    async fn allocate(
        &self,
        mailbox: MailboxId,
        new: &[NewMessage],
        claim_recent: bool,
    ) -> Result<Allocation, StateError> {
        let mut inner = self.lock();
        let mb = inner
            .mailboxes
            .get_mut(&mailbox)
            .ok_or_else(|| unknown(mailbox))?;
        let mut uids = Vec::with_capacity(new.len());
        let mut retired = Vec::new();
        for message in new {
            let existing = mb
                .live
                .iter()
                .find(|(_, r)| r.node_id == message.node_id && r.identity == message.identity)
                .map(|(uid, _)| *uid);
            if let Some(uid) = existing {
                uids.push(uid);
                continue;
            }
            let mut shared = message.shared_flags.shared();
            let replaced = message
                .replaces
                .and_then(|old| mb.live.get(&old).cloned().map(|row| (old, row)))
                .filter(|(_, row)| row.node_id == message.node_id);
            if let Some((old, row)) = replaced {
                shared = row.shared.clone();
                if mb.retire(old) {
                    retired.push(old);
                }
            }
            if mb.record.uid_next == u32::MAX {
                return Err(StateError::UidsExhausted(mailbox));
            }
            let uid = mb.record.uid_next;
            mb.record.uid_next += 1;
            let modseq = mb.next_modseq();
            mb.live.insert(
                uid,
                Row {
                    node_id: message.node_id.clone(),
                    identity: message.identity.clone(),
                    shared,
                    default_seen: message.default_seen,
                    modseq,
                    pin: message.pin.clone(),
                },
            );
            if let Some((user, flags)) = &message.private_flags {
                let private = flags.private();
                if !private.is_empty() {
                    mb.private.insert((user.clone(), uid), (private, modseq));
                }
            }
            uids.push(uid);
        }
        let mut recent = None;
        if claim_recent && mb.record.recent_watermark + 1 < mb.record.uid_next {
            recent = Some(mb.record.recent_watermark + 1..=mb.record.uid_next - 1);
            mb.record.recent_watermark = mb.record.uid_next - 1;
        }
        Ok(Allocation {
            uids,
            retired,
            recent,
            record: mb.record.clone(),
        })
    }

    async fn retire(&self, mailbox: MailboxId, uids: &[Uid]) -> Result<Vec<Uid>, StateError> {
        let mut inner = self.lock();
        let mb = inner
            .mailboxes
            .get_mut(&mailbox)
            .ok_or_else(|| unknown(mailbox))?;
        Ok(uids.iter().copied().filter(|uid| mb.retire(*uid)).collect())
    }

    async fn store_flags(
        &self,
        mailbox: MailboxId,
        user: &str,
        update: &FlagUpdate,
    ) -> Result<FlagOutcome, StateError> {
        let mut inner = self.lock();
        let mb = inner
            .mailboxes
            .get_mut(&mailbox)
            .ok_or_else(|| unknown(mailbox))?;
        let mut outcome = FlagOutcome::default();
        let mut uids = update.uids.clone();
        uids.sort_unstable();
        uids.dedup();
        for uid in uids {
            let Some(row) = mb.live.get(&uid).cloned() else {
                continue;
            };
            let current = mb.record_for(user, uid, &row);
            if update
                .unchanged_since
                .is_some_and(|since| current.modseq > since)
            {
                outcome.modified.push(uid);
                continue;
            }
            let after = apply(update.op, &current.flags, &update.flags);
            let (old_private, _) = mb.private_of(user, uid, &row);
            let new_shared = after.shared();
            let new_private = after.private();
            let shared_changed = !same_flags(&new_shared, &row.shared);
            let private_changed = !same_flags(&new_private, &old_private);
            if !shared_changed && !private_changed {
                continue;
            }
            let modseq = mb.next_modseq();
            if let Some(row) = mb.live.get_mut(&uid).filter(|_| shared_changed) {
                row.shared = new_shared;
                row.modseq = modseq;
            }
            if private_changed {
                mb.private
                    .insert((user.to_owned(), uid), (new_private, modseq));
            }
            let row = mb.live[&uid].clone();
            outcome.changed.push(mb.record_for(user, uid, &row));
        }
        Ok(outcome)
    }

    async fn changes_since(
        &self,
        mailbox: MailboxId,
        user: &str,
        since: ModSeq,
    ) -> Result<Changes, StateError> {
        let inner = self.lock();
        let mb = inner
            .mailboxes
            .get(&mailbox)
            .ok_or_else(|| unknown(mailbox))?;
        Ok(Changes {
            changed: mb
                .live
                .iter()
                .map(|(uid, row)| mb.record_for(user, *uid, row))
                .filter(|r| r.modseq > since)
                .collect(),
            vanished: mb
                .tombstones
                .iter()
                .filter(|(_, m)| **m > since)
                .map(|(uid, _)| *uid)
                .collect(),
            highest_modseq: mb.highest_for(user),
        })
    }

    async fn forget_mailbox(&self, mailbox: MailboxId) -> Result<(), StateError> {
        let mut inner = self.lock();
        if let Some(mb) = inner.mailboxes.remove(&mailbox) {
            inner.keys.remove(&mb.record.key);
        }
        Ok(())
    }

    async fn set_subscription(
        &self,
        user: &str,
        name: &str,
        subscribed: bool,
    ) -> Result<(), StateError> {
        self.lock()
            .subscriptions
            .insert((user.to_owned(), name.to_owned()), subscribed);
        Ok(())
    }

    async fn subscriptions(&self, user: &str) -> Result<Vec<Subscription>, StateError> {
        Ok(self
            .lock()
            .subscriptions
            .iter()
            .filter(|((u, _), _)| u == user)
            .map(|((_, name), subscribed)| Subscription {
                name: name.clone(),
                subscribed: *subscribed,
            })
            .collect())
    }

    async fn summary(&self, key: &str) -> Result<Option<Vec<u8>>, StateError> {
        Ok(self.lock().summaries.get(key).cloned())
    }

    async fn put_summary(&self, key: &str, summary: &[u8]) -> Result<(), StateError> {
        self.lock()
            .summaries
            .insert(key.to_owned(), summary.to_vec());
        Ok(())
    }

    async fn template(&self, hash: &str) -> Result<Option<String>, StateError> {
        Ok(self.lock().templates.get(hash).cloned())
    }

    async fn put_template(&self, hash: &str, text: &str) -> Result<(), StateError> {
        self.lock()
            .templates
            .insert(hash.to_owned(), text.to_owned());
        Ok(())
    }
}

/// Applies a flag operation.
fn apply(op: FlagOp, current: &Flags, requested: &Flags) -> Flags {
    match op {
        FlagOp::Replace => requested.clone(),
        FlagOp::Add | FlagOp::Remove => {
            let set = op == FlagOp::Add;
            let mut after = current.clone();
            after.answered = if requested.answered {
                set
            } else {
                after.answered
            };
            after.flagged = if requested.flagged {
                set
            } else {
                after.flagged
            };
            after.deleted = if requested.deleted {
                set
            } else {
                after.deleted
            };
            after.seen = if requested.seen { set } else { after.seen };
            after.draft = if requested.draft { set } else { after.draft };
            for keyword in &requested.keywords {
                after.keywords.retain(|k| !k.eq_ignore_ascii_case(keyword));
                if set {
                    after.keywords.insert(keyword.clone());
                }
            }
            after
        }
    }
}

/// Flags compared with keywords case-insensitively.
fn same_flags(a: &Flags, b: &Flags) -> bool {
    let lower = |f: &Flags| -> Vec<String> {
        let mut k: Vec<String> = f.keywords.iter().map(|k| k.to_ascii_lowercase()).collect();
        k.sort();
        k
    };
    a.answered == b.answered
        && a.flagged == b.flagged
        && a.deleted == b.deleted
        && a.seen == b.seen
        && a.draft == b.draft
        && lower(a) == lower(b)
}
