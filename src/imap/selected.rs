//! The selected mailbox as one session sees it: message sequence numbers, `\Recent`, and the
//! changes not yet reported (RFC 3501 §7: EXISTS, EXPUNGE and FETCH FLAGS at the right moments).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::num::NonZeroU32;

use chrono::{DateTime, Utc};
use imap_types::core::Vec1;
use imap_types::fetch::MessageDataItem;
use imap_types::response::{Data, Response};
use imap_types::sequence::SequenceSet;

use super::flags::flags_to_fetch;
use super::output::{FetchItem, FetchOutput, Output, Responder, SendError};
use super::sequence::{Ranges, compact};
use crate::mailbox::{Item, ItemRef, Listing, ListingChanges, MailboxInfo, Mailboxes, Presence};
use crate::state::{
    Flags, ListedItem, MailboxId, MailboxKey, ModSeq, StateStore, Uid, View, ViewEntry, reconcile,
};

/// One message of the selected mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Its UID.
    pub uid: Uid,
    /// The repository item it stands for.
    pub item: Item,
    /// Its flags as this user sees them.
    pub flags: Flags,
    /// Its MODSEQ as this user sees it.
    pub modseq: ModSeq,
    /// Data pinned with the UID.
    pub pin: Option<Vec<u8>>,
    /// Gone from the repository (or from this user's view), but the EXPUNGE has not been
    /// reported yet: it keeps its sequence number until then.
    pub expunged: bool,
}

impl Message {
    /// What the backend needs to find the message's bytes.
    pub fn item_ref(&self) -> ItemRef {
        ItemRef {
            node_id: self.item.node_id.clone(),
            identity: self.item.identity.clone(),
            pin: self.pin.clone(),
        }
    }
}

/// How hard to look for changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Sync {
    /// Only the state store (flag changes and expunges by other sessions).
    Store,
    /// Ask the repository whether the folder changed (one cheap call), list it if so.
    Check,
    /// List the folder in full.
    Full,
}

/// The selected mailbox.
#[derive(Debug)]
pub struct Selected {
    /// The mailbox as the backend describes it.
    pub info: MailboxInfo,
    /// Its state-store key.
    pub key: MailboxKey,
    /// Its state-store id.
    pub mailbox_id: MailboxId,
    /// Opened with EXAMINE.
    pub read_only: bool,
    /// UIDVALIDITY.
    pub uid_validity: u32,
    /// UIDNEXT as last reported.
    pub uid_next: Uid,
    /// The messages in sequence-number order (ascending UID).
    pub messages: Vec<Message>,
    /// UIDs that are `\Recent` in this session.
    pub recent: HashSet<Uid>,
    /// The highest MODSEQ this session has taken into account.
    pub seen_modseq: ModSeq,
    /// HIGHESTMODSEQ as this user sees it.
    pub highest_modseq: ModSeq,
    /// The listing stamp for the cheap change check.
    stamp: String,
    /// When the folder was last listed in full.
    listed_at: DateTime<Utc>,
    /// Messages found but not yet announced with EXISTS.
    new: Vec<Message>,
    /// UIDs whose flag change has not been announced yet.
    flag_changes: BTreeSet<Uid>,
    /// Number of `\Recent` messages last announced.
    announced_recent: usize,
}

/// What a [`Selected::open`] reports in the SELECT response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opened {
    /// EXISTS.
    pub exists: usize,
    /// RECENT.
    pub recent: usize,
    /// The first unseen message's sequence number.
    pub first_unseen: Option<NonZeroU32>,
}

impl Selected {
    /// Lists the mailbox, reconciles it with the UID map and builds the session's view.
    pub async fn open(
        account: &dyn Mailboxes,
        store: &dyn StateStore,
        info: MailboxInfo,
        key: MailboxKey,
        read_only: bool,
        now: DateTime<Utc>,
    ) -> Result<(Self, Opened), crate::imap::session::Failure> {
        let record = store.open_mailbox(&key, &info.name).await?;
        let mut listing = account.list_to_open(&info).await?;
        let listed = take_listed_items(&mut listing.items);
        let view = reconcile(store, record.id, account.user(), &listed, !read_only).await?;
        let mut selected = Self {
            info,
            key,
            mailbox_id: record.id,
            read_only,
            uid_validity: view.record.uid_validity,
            uid_next: view.record.uid_next,
            messages: Vec::new(),
            recent: HashSet::new(),
            seen_modseq: view.highest_modseq,
            highest_modseq: view.highest_modseq,
            stamp: listing.stamp.clone(),
            listed_at: now,
            new: Vec::new(),
            flag_changes: BTreeSet::new(),
            announced_recent: 0,
        };
        selected.take_recent(&view);
        selected.messages = messages_of(view.entries, listing.items);
        selected.announced_recent = selected.recent.len();
        let first_unseen = selected
            .messages
            .iter()
            .position(|m| !m.flags.seen)
            .and_then(|i| NonZeroU32::new(i as u32 + 1));
        let opened = Opened {
            exists: selected.messages.len(),
            recent: selected.recent.len(),
            first_unseen,
        };
        Ok((selected, opened))
    }

    /// Looks for changes and records them for the next [`Selected::flush`].
    pub async fn sync(
        &mut self,
        account: &dyn Mailboxes,
        store: &dyn StateStore,
        how: Sync,
        now: DateTime<Utc>,
        resync_after: chrono::Duration,
    ) -> Result<(), crate::imap::session::Failure> {
        let due = now.signed_duration_since(self.listed_at) >= resync_after;
        let mut list = how == Sync::Full || (how == Sync::Check && due);
        if how == Sync::Check && !list {
            match account.changes_since(&self.info, &self.stamp).await? {
                ListingChanges::None => {}
                ListingChanges::Unknown => list = true,
                ListingChanges::Nodes { changed, stamp } => match self.patched(changed, stamp) {
                    // The listing as it is now, without listing the folder again; the full
                    // resync stays due as before.
                    Some(listing) => {
                        let listed_at = self.listed_at;
                        self.apply_listing(account, store, listing, listed_at)
                            .await?;
                        return Ok(());
                    }
                    None => list = true,
                },
            }
        }
        if !list {
            let changes = store
                .changes_since(self.mailbox_id, account.user(), self.seen_modseq)
                .await?;
            let known: HashSet<Uid> = self.all_uids().collect();
            let unknown = changes.changed.iter().any(|c| !known.contains(&c.uid));
            if unknown {
                // Another session stored a message here: look at the listing to see it.
                list = true;
            } else {
                for change in &changes.changed {
                    self.update_flags(change.uid, &change.flags, change.modseq);
                }
                self.forget(&changes.vanished);
                self.seen_modseq = changes.highest_modseq.max(self.seen_modseq);
                self.highest_modseq = changes.highest_modseq.max(self.highest_modseq);
            }
        }
        if list {
            self.relist(account, store, now).await?;
        }
        Ok(())
    }

    async fn relist(
        &mut self,
        account: &dyn Mailboxes,
        store: &dyn StateStore,
        now: DateTime<Utc>,
    ) -> Result<(), crate::imap::session::Failure> {
        let listing = account.list(&self.info).await?;
        self.apply_listing(account, store, listing, now).await
    }

    /// The last listing with `changed` applied (see [`ListingChanges::Nodes`]); `None` when
    /// a changed node is one this session has not seen, which only a full listing places.
    fn patched(&self, changed: Vec<(String, Option<Item>)>, stamp: String) -> Option<Listing> {
        // Each changed node with its item now, and whether this session has seen it.
        let mut changed: HashMap<String, (Option<Item>, bool)> = changed
            .into_iter()
            .map(|(node, item)| (node, (item, false)))
            .collect();
        let mut items = Vec::with_capacity(self.messages.len() + self.new.len());
        for message in self.messages.iter().chain(self.new.iter()) {
            if message.expunged {
                continue;
            }
            match changed.get_mut(&message.item.node_id) {
                Some((now, seen)) => {
                    *seen = true;
                    items.extend(now.take());
                }
                None => items.push(message.item.clone()),
            }
        }
        if changed.values().any(|(_, seen)| !seen) {
            return None;
        }
        Some(Listing {
            items,
            stamp,
            complete: true,
        })
    }

    /// Takes in a listing of the mailbox as it is now: new UIDs, flag changes, messages
    /// that left.
    async fn apply_listing(
        &mut self,
        account: &dyn Mailboxes,
        store: &dyn StateStore,
        mut listing: Listing,
        now: DateTime<Utc>,
    ) -> Result<(), crate::imap::session::Failure> {
        let listed = take_listed_items(&mut listing.items);
        let view = reconcile(
            store,
            self.mailbox_id,
            account.user(),
            &listed,
            !self.read_only,
        )
        .await?;
        self.stamp = listing.stamp.clone();
        self.listed_at = now;
        self.uid_next = view.record.uid_next;
        self.uid_validity = view.record.uid_validity;
        self.seen_modseq = self.seen_modseq.max(view.highest_modseq);
        self.highest_modseq = self.highest_modseq.max(view.highest_modseq);

        self.take_recent(&view);
        let complete = listing.complete;
        let in_view: HashMap<Uid, Message> = messages_of(view.entries, listing.items)
            .into_iter()
            .map(|m| (m.uid, m))
            .collect();
        let highest_shown = self.all_uids().max().unwrap_or(0);
        for message in self.messages.iter_mut().chain(self.new.iter_mut()) {
            if let Some(fresh) = in_view.get(&message.uid) {
                if fresh.flags != message.flags && !message.expunged {
                    message.flags = fresh.flags.clone();
                    message.modseq = fresh.modseq;
                    self.flag_changes.insert(message.uid);
                }
                message.item = fresh.item.clone();
            }
        }
        let mut gone: Vec<&Message> = Vec::new();
        if complete {
            gone = self
                .messages
                .iter()
                .chain(self.new.iter())
                .filter(|m| !m.expunged && !in_view.contains_key(&m.uid))
                .collect();
        }
        let gone_uids: Vec<Uid> = gone.iter().map(|m| m.uid).collect();
        let gone_nodes: Vec<String> = gone.iter().map(|m| m.item.node_id.clone()).collect();
        if !gone_nodes.is_empty() {
            let presence = account.presence(&self.info, &gone_nodes).await?;
            let retire: Vec<Uid> = gone_uids
                .iter()
                .zip(presence)
                .filter(|(_, p)| matches!(p, Presence::Gone | Presence::Elsewhere))
                .map(|(uid, _)| *uid)
                .collect();
            if !retire.is_empty() {
                store.retire(self.mailbox_id, &retire).await?;
            }
            self.forget(&gone_uids);
        }
        let mut arrivals: Vec<Message> = in_view
            .into_values()
            .filter(|m| m.uid > highest_shown)
            .collect();
        arrivals.sort_by_key(|m| m.uid);
        self.new.extend(arrivals);
        Ok(())
    }

    /// Reports recorded changes: EXPUNGEs (only when `allow_expunge`, RFC 3501 §7.4.1), then
    /// EXISTS and RECENT, then FETCH FLAGS.
    pub async fn flush(
        &mut self,
        out: &mut dyn Responder,
        allow_expunge: bool,
        report: Reporting,
    ) -> Result<(), SendError> {
        if allow_expunge && self.messages.iter().any(|m| m.expunged) {
            if report.qresync {
                let uids: Vec<Uid> = self
                    .messages
                    .iter()
                    .filter(|m| m.expunged)
                    .map(|m| m.uid)
                    .collect();
                if let Some(set) = compact(uids) {
                    out.send(Output::Line(format!("* VANISHED {set}\r\n").into_bytes()))
                        .await?;
                }
            } else {
                for index in (0..self.messages.len()).rev() {
                    if self.messages[index].expunged {
                        let seq = NonZeroU32::new(index as u32 + 1).unwrap_or(NonZeroU32::MIN);
                        out.send(Output::Response(Response::Data(Data::Expunge(seq))))
                            .await?;
                    }
                }
            }
            let mut recent_expunged = 0;
            for message in self.messages.iter().filter(|m| m.expunged) {
                if self.recent.remove(&message.uid) {
                    recent_expunged += 1;
                }
                self.flag_changes.remove(&message.uid);
            }
            self.messages.retain(|m| !m.expunged);
            // Expunged messages leave the RECENT count implicitly (RFC 3501 §7.3.2); recent
            // arrivals not yet announced still need a RECENT response below.
            self.announced_recent = self.announced_recent.saturating_sub(recent_expunged);
        }
        if !self.new.is_empty() {
            let new = std::mem::take(&mut self.new);
            self.messages.extend(new);
            out.send(Output::Response(Response::Data(Data::Exists(
                self.messages.len() as u32,
            ))))
            .await?;
        }
        if self.recent.len() != self.announced_recent {
            self.announced_recent = self.recent.len();
            out.send(Output::Response(Response::Data(Data::Recent(
                self.recent.len() as u32,
            ))))
            .await?;
        }
        let changed = std::mem::take(&mut self.flag_changes);
        for uid in changed {
            let Some(index) = self.index_of(uid) else {
                continue;
            };
            let message = &self.messages[index];
            if message.expunged {
                continue;
            }
            let output = self.flags_response(index, report.uid || report.qresync, report.condstore);
            out.send(output).await?;
        }
        Ok(())
    }

    /// The unsolicited-looking `* n FETCH (FLAGS ...)` for the message at `index`.
    pub fn flags_response(&self, index: usize, with_uid: bool, with_modseq: bool) -> Output {
        let message = &self.messages[index];
        let mut items = vec![FetchItem::data(MessageDataItem::Flags(flags_to_fetch(
            &message.flags,
            self.recent.contains(&message.uid),
        )))];
        if let Some(uid) = NonZeroU32::new(message.uid).filter(|_| with_uid) {
            items.push(FetchItem::data(MessageDataItem::Uid(uid)));
        }
        if let Some(modseq) = std::num::NonZeroU64::new(message.modseq).filter(|_| with_modseq) {
            items.push(FetchItem::data(MessageDataItem::ModSeq(modseq)));
        }
        Output::Fetch(FetchOutput {
            seq: NonZeroU32::new(index as u32 + 1).unwrap_or(NonZeroU32::MIN),
            items,
        })
    }

    /// The indexes of the messages a sequence set names (message sequence numbers, or UIDs
    /// with `uid`). A sequence number beyond the mailbox is an error (the caller answers BAD);
    /// UIDs that do not exist are ignored (RFC 3501 §6.4.8).
    pub fn resolve(&self, set: &SequenceSet, uid: bool) -> Result<Vec<usize>, InvalidSequence> {
        if uid {
            let largest = self.messages.last().map(|m| m.uid).unwrap_or(0);
            let ranges = Ranges::new(set, largest);
            Ok(self
                .messages
                .iter()
                .enumerate()
                .filter(|(_, m)| ranges.contains(m.uid))
                .map(|(i, _)| i)
                .collect())
        } else {
            let count = self.messages.len() as u32;
            let ranges = Ranges::new(set, count);
            if ranges.max().is_some_and(|max| max > count) {
                return Err(InvalidSequence);
            }
            Ok(ranges
                .ranges()
                .iter()
                .flat_map(|&(low, high)| low..=high)
                .map(|n| n as usize - 1)
                .collect())
        }
    }

    /// The index of a UID.
    pub fn index_of(&self, uid: Uid) -> Option<usize> {
        self.messages.binary_search_by_key(&uid, |m| m.uid).ok()
    }

    /// Applies a flag change made by this session (already stored) without reporting it as
    /// somebody else's change.
    pub fn apply_own_flags(&mut self, uid: Uid, flags: &Flags, modseq: ModSeq) {
        if let Some(index) = self.index_of(uid) {
            self.messages[index].flags = flags.clone();
            self.messages[index].modseq = modseq;
        }
        self.flag_changes.remove(&uid);
    }

    /// Marks messages this session removed (EXPUNGE, MOVE) so the next flush reports them.
    pub fn mark_expunged(&mut self, uids: &[Uid]) {
        self.forget(uids);
    }

    /// Counts for STATUS-like reporting.
    pub fn unseen(&self) -> usize {
        self.messages.iter().filter(|m| !m.flags.seen).count()
    }

    fn all_uids(&self) -> impl Iterator<Item = Uid> + '_ {
        self.messages.iter().chain(self.new.iter()).map(|m| m.uid)
    }

    fn update_flags(&mut self, uid: Uid, flags: &Flags, modseq: ModSeq) {
        for message in self.messages.iter_mut().chain(self.new.iter_mut()) {
            if message.uid == uid {
                message.modseq = modseq;
                if message.flags != *flags {
                    message.flags = flags.clone();
                    self.flag_changes.insert(uid);
                }
            }
        }
    }

    fn forget(&mut self, uids: &[Uid]) {
        let uids: HashSet<Uid> = uids.iter().copied().collect();
        self.new.retain(|m| !uids.contains(&m.uid));
        for message in &mut self.messages {
            if uids.contains(&message.uid) {
                message.expunged = true;
            }
        }
    }

    fn take_recent(&mut self, view: &View) {
        if self.read_only {
            // A read-only session claims nothing: what no session has claimed yet is recent
            // for it, and stays so for the rest of the session (RFC 3501 §2.3.2), even once a
            // read-write session claims it.
            let watermark = view.record.recent_watermark;
            self.recent.extend(
                view.entries
                    .iter()
                    .filter(|e| e.uid > watermark)
                    .map(|e| e.uid),
            );
        } else if let Some(range) = &view.recent {
            self.recent.extend(
                view.entries
                    .iter()
                    .map(|e| e.uid)
                    .filter(|uid| range.contains(uid)),
            );
        }
    }
}

/// What the client has enabled that changes how updates are reported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reporting {
    /// Include UID in FETCH FLAGS updates (UID commands).
    pub uid: bool,
    /// CONDSTORE is enabled: include MODSEQ.
    pub condstore: bool,
    /// QRESYNC is enabled: VANISHED instead of EXPUNGE, UID in FETCH.
    pub qresync: bool,
}

/// A message sequence number beyond the mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidSequence;

/// The reconcile input for a listing.
pub fn listed_items(items: &[Item]) -> Vec<ListedItem> {
    items
        .iter()
        .map(|item| ListedItem {
            node_id: item.node_id.clone(),
            identity: item.identity.clone(),
            arrival: item.arrival,
            imported_flags: item.imported_flags.clone(),
            pin: item.pin.clone(),
        })
        .collect()
}

/// The reconcile input for a listing the caller owns: the pins are moved out of the items,
/// not copied (a message keeps the pin stored with its UID, never the listing's).
fn take_listed_items(items: &mut [Item]) -> Vec<ListedItem> {
    items
        .iter_mut()
        .map(|item| ListedItem {
            node_id: item.node_id.clone(),
            identity: item.identity.clone(),
            arrival: item.arrival,
            imported_flags: item.imported_flags.clone(),
            pin: item.pin.take(),
        })
        .collect()
}

/// The messages of a view, made of the listed items they stand for (moved, not copied).
/// A message keeps the pin stored with its UID; the listing's pin (the inputs a new UID would
/// have been given) is dropped.
fn messages_of(entries: Vec<ViewEntry>, items: Vec<Item>) -> Vec<Message> {
    let mut items: Vec<Option<Item>> = items.into_iter().map(Some).collect();
    entries
        .into_iter()
        .filter_map(|entry| {
            let mut item = items.get_mut(entry.item)?.take()?;
            item.pin = None;
            Some(Message {
                uid: entry.uid,
                item,
                flags: entry.flags,
                modseq: entry.modseq,
                pin: entry.pin,
                expunged: false,
            })
        })
        .collect()
}

/// `Vec1` of one item.
pub fn one<T>(item: T) -> Vec1<T> {
    Vec1::from(item)
}
