//! Turning a user's repository listing into that user's view of a mailbox.
//!
//! The UID map is shared by every user; listings are per user because permissions differ. A
//! node missing from one user's listing is absent *for that user only*: reconciliation never
//! retires a row (that takes proof that the node is gone, see [`StateStore::retire`]). A
//! listed (node, identity) pair without a live row gets a UID, in arrival order; a node whose
//! identity changed gets a new UID and its old row is retired (design decision 3).

use std::collections::HashMap;
use std::ops::RangeInclusive;

use super::{
    Flags, MailboxId, MailboxRecord, MessageRecord, ModSeq, NewMessage, StateError, StateStore, Uid,
};

/// One message-making node as the repository lists it for one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedItem {
    /// The node id.
    pub node_id: String,
    /// What makes the message's bytes (design decision 3).
    pub identity: String,
    /// When the node arrived in the folder (the repository's `createdAt`, in milliseconds):
    /// new UIDs are handed out in this order, ties broken by node id.
    pub arrival: i64,
    /// Flags left on the node by Alfresco's built-in server, imported on first sight.
    pub imported_flags: Flags,
    /// Opaque data to pin with a newly assigned UID.
    pub pin: Option<Vec<u8>>,
}

/// One message of a user's view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewEntry {
    /// The message's UID.
    pub uid: Uid,
    /// The index of the listed item this message stands for.
    pub item: usize,
    /// Shared flags merged with the user's private flags.
    pub flags: Flags,
    /// The message's MODSEQ as this user sees it.
    pub modseq: ModSeq,
    /// Data pinned with the UID when it was assigned.
    pub pin: Option<Vec<u8>>,
}

/// A user's view of a mailbox after reconciliation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    /// The mailbox's counters.
    pub record: MailboxRecord,
    /// HIGHESTMODSEQ for this user.
    pub highest_modseq: ModSeq,
    /// The listed messages in UID order.
    pub entries: Vec<ViewEntry>,
    /// UIDs this call claimed as `\Recent`, if asked to.
    pub recent: Option<RangeInclusive<Uid>>,
}

/// Reconciles `items` (one user's complete listing of the mailbox) with the UID map.
///
/// With `claim_recent` (a read-write SELECT, or a selected read-write session noticing new
/// messages), every message not yet claimed by any session becomes `\Recent` for the caller.
/// Duplicate node ids in `items` (a listing whose pages shifted) are reduced to their last
/// occurrence.
pub async fn reconcile(
    store: &dyn StateStore,
    mailbox: MailboxId,
    user: &str,
    items: &[ListedItem],
    claim_recent: bool,
) -> Result<View, StateError> {
    let mut snapshot = store.snapshot(mailbox, user).await?;

    let mut last_index: HashMap<&str, usize> = HashMap::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        last_index.insert(item.node_id.as_str(), index);
    }

    let mut new: Vec<(usize, NewMessage)> = {
        let by_pair = index_by_pair(&snapshot.messages);
        let mut by_node: HashMap<&str, Uid> = HashMap::new();
        for record in &snapshot.messages {
            by_node.insert(record.node_id.as_str(), record.uid);
        }
        items
            .iter()
            .enumerate()
            .filter(|(index, item)| last_index.get(item.node_id.as_str()) == Some(index))
            .filter(|(_, item)| {
                !by_pair.contains_key(&(item.node_id.as_str(), item.identity.as_str()))
            })
            .map(|(index, item)| {
                let message = NewMessage {
                    node_id: item.node_id.clone(),
                    identity: item.identity.clone(),
                    shared_flags: item.imported_flags.shared(),
                    default_seen: item.imported_flags.seen,
                    private_flags: None,
                    replaces: by_node.get(item.node_id.as_str()).copied(),
                    pin: item.pin.clone(),
                };
                (index, message)
            })
            .collect()
    };
    new.sort_by(|(a, _), (b, _)| {
        let (a, b) = (&items[*a], &items[*b]);
        (a.arrival, &a.node_id).cmp(&(b.arrival, &b.node_id))
    });

    let unclaimed = snapshot.record.recent_watermark.saturating_add(1) < snapshot.record.uid_next;
    let mut recent = None;
    if !new.is_empty() || (claim_recent && unclaimed) {
        let requests: Vec<NewMessage> = new.into_iter().map(|(_, message)| message).collect();
        let allocation = store.allocate(mailbox, &requests, claim_recent).await?;
        recent = allocation.recent;
        if !requests.is_empty() {
            snapshot = store.snapshot(mailbox, user).await?;
        } else {
            snapshot.record = allocation.record;
        }
    }

    // Which record each listed item is: a live (node, identity) pair is one row, and node ids
    // are unique among the items kept, so every record serves at most one entry and its flags
    // and pin can be moved into it instead of copied (pins are most of a snapshot's bytes).
    let matched: Vec<(usize, usize)> = {
        let by_pair: HashMap<(&str, &str), usize> = snapshot
            .messages
            .iter()
            .enumerate()
            .map(|(at, record)| ((record.node_id.as_str(), record.identity.as_str()), at))
            .collect();
        items
            .iter()
            .enumerate()
            .filter(|(index, item)| last_index.get(item.node_id.as_str()) == Some(index))
            .filter_map(|(index, item)| {
                let at = by_pair.get(&(item.node_id.as_str(), item.identity.as_str()))?;
                Some((index, *at))
            })
            .collect()
    };
    let mut records = std::mem::take(&mut snapshot.messages);
    let mut entries: Vec<ViewEntry> = matched
        .into_iter()
        .map(|(index, at)| {
            let record = &mut records[at];
            ViewEntry {
                uid: record.uid,
                item: index,
                flags: std::mem::take(&mut record.flags),
                modseq: record.modseq,
                pin: record.pin.take(),
            }
        })
        .collect();
    entries.sort_by_key(|entry| entry.uid);

    Ok(View {
        record: snapshot.record,
        highest_modseq: snapshot.highest_modseq,
        entries,
        recent,
    })
}

fn index_by_pair(messages: &[MessageRecord]) -> HashMap<(&str, &str), &MessageRecord> {
    messages
        .iter()
        .map(|record| ((record.node_id.as_str(), record.identity.as_str()), record))
        .collect()
}
