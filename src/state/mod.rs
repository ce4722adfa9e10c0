//! The sidecar's own state store (design decisions 2–4).
//!
//! The Public REST API hides `sys:node-dbid`, so UIDs cannot come from the repository: the
//! sidecar keeps them here, together with everything else IMAP needs to remember.
//!
//! - A *mailbox* is keyed by (folder node id, view): the same folder seen as `INBOX` (ARCHIVE)
//!   and under a MIXED mount point is two mailboxes. It holds UIDVALIDITY, UIDNEXT (never
//!   decreases), a MODSEQ counter and the `\Recent` watermark.
//! - A *message* row maps (node id, identity) → UID, with the shared flags and keywords and the
//!   MODSEQ of their last change. A node has at most one live row per mailbox. A retired row
//!   leaves a tombstone (UID, MODSEQ); UIDs are never reused within a UIDVALIDITY.
//! - *Private flags* (`\Seen` and the junk keywords) are kept per user and message, with their
//!   own MODSEQ, so one user's reading never shows as another user's change.
//! - *Summaries* (ENVELOPE, BODYSTRUCTURE, offsets) are opaque blobs keyed by the caller, so a
//!   message is downloaded at most once; *templates* are kept by hash so that generated
//!   messages stay byte-stable; *subscriptions* are per user and mailbox name.
//!
//! The store offers small transactional primitives; the algorithm that turns a repository
//! listing into a user's view ([`reconcile()`]) is shared by every implementation. Nothing here
//! knows IMAP syntax or HTTP.

mod flag_ops;
mod open;
pub mod postgres;
pub mod reconcile;
mod schema;
pub mod sqlite;
mod stored_row;
#[cfg(test)]
pub(crate) mod suite;

use std::collections::BTreeSet;
use std::ops::RangeInclusive;

use async_trait::async_trait;

pub use open::{Migration, OpenedStore, migrate, open, open_shared};
pub use reconcile::{ListedItem, View, ViewEntry, reconcile};

/// A message UID (RFC 3501 §2.3.1.1): positive, ascending in allocation order, never reused.
pub type Uid = u32;

/// A modification sequence number (RFC 7162): positive, grows with every change.
pub type ModSeq = u64;

/// The store's internal id of a mailbox.
pub type MailboxId = i64;

/// What identifies a mailbox: the repository folder and the view that shows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MailboxKey {
    /// The folder's node id.
    pub folder_id: String,
    /// The view mode's tag (`archive`, `mixed`, `virtual`): the same folder in two views is
    /// two mailboxes with separate UIDs.
    pub view: String,
}

/// A mailbox with the client-visible name it was last opened under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedMailbox {
    /// The mailbox's counters.
    pub record: MailboxRecord,
    /// The `name_key` of its last [`StateStore::open_mailbox`] (empty if unknown).
    pub name: String,
}

/// A mailbox's counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxRecord {
    /// The store's id of the mailbox.
    pub id: MailboxId,
    /// The mailbox's key.
    pub key: MailboxKey,
    /// UIDVALIDITY: `max(now in seconds, last value used for the same name + 1)` at creation.
    pub uid_validity: u32,
    /// The next UID to be assigned. The last UID a mailbox can hand out is `u32::MAX - 1`,
    /// so that this stays representable.
    pub uid_next: Uid,
    /// The highest MODSEQ handed out in this mailbox (shared and private changes alike).
    pub modseq: ModSeq,
    /// The highest UID already claimed as `\Recent` by some session.
    pub recent_watermark: Uid,
}

/// IMAP system flags and keywords, without IMAP syntax.
///
/// `\Recent` is not a stored flag (RFC 3501 §2.3.2, design decision 4) and has no field here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Flags {
    /// `\Answered`.
    pub answered: bool,
    /// `\Flagged`.
    pub flagged: bool,
    /// `\Deleted`.
    pub deleted: bool,
    /// `\Seen` (private).
    pub seen: bool,
    /// `\Draft`.
    pub draft: bool,
    /// Keywords as sent by the client (`$Forwarded`, `$Junk`, ...); compared case-insensitively.
    pub keywords: BTreeSet<String>,
}

/// Keywords kept per user rather than per mailbox: a user's junk verdict is their own.
pub const PRIVATE_KEYWORDS: &[&str] = &["$Junk", "$NotJunk", "Junk", "NonJunk", "$Phishing"];

/// Whether a keyword is private (see [`PRIVATE_KEYWORDS`]); case-insensitive.
pub fn is_private_keyword(keyword: &str) -> bool {
    PRIVATE_KEYWORDS
        .iter()
        .any(|k| k.eq_ignore_ascii_case(keyword))
}

impl Flags {
    /// The shared part: everything but `\Seen` and the private keywords.
    pub fn shared(&self) -> Flags {
        Flags {
            seen: false,
            keywords: self
                .keywords
                .iter()
                .filter(|k| !is_private_keyword(k))
                .cloned()
                .collect(),
            ..self.clone()
        }
    }

    /// The private part: `\Seen` and the private keywords.
    pub fn private(&self) -> Flags {
        Flags {
            seen: self.seen,
            keywords: self
                .keywords
                .iter()
                .filter(|k| is_private_keyword(k))
                .cloned()
                .collect(),
            ..Flags::default()
        }
    }

    /// The union of a shared and a private part.
    pub fn merged(shared: &Flags, private: &Flags) -> Flags {
        let mut keywords = shared.keywords.clone();
        keywords.extend(private.keywords.iter().cloned());
        Flags {
            answered: shared.answered,
            flagged: shared.flagged,
            deleted: shared.deleted,
            draft: shared.draft,
            seen: private.seen,
            keywords,
        }
    }

    /// Whether any flag or keyword is set.
    pub fn is_empty(&self) -> bool {
        !(self.answered || self.flagged || self.deleted || self.seen || self.draft)
            && self.keywords.is_empty()
    }
}

/// One live message of a mailbox as one user sees its flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRecord {
    /// The message's UID.
    pub uid: Uid,
    /// The repository node that makes the message.
    pub node_id: String,
    /// What makes the message's bytes (design decision 3).
    pub identity: String,
    /// The shared flags merged with this user's private flags.
    pub flags: Flags,
    /// `max(shared MODSEQ, this user's private MODSEQ)`.
    pub modseq: ModSeq,
    /// Opaque data pinned with the UID (e.g. the inputs of a generated message), if any.
    pub pin: Option<Vec<u8>>,
}

/// A mailbox's live messages as one user sees their flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxSnapshot {
    /// The mailbox's counters at the time of the snapshot.
    pub record: MailboxRecord,
    /// HIGHESTMODSEQ for this user: shared changes, tombstones and this user's private changes.
    pub highest_modseq: ModSeq,
    /// Live messages in UID order.
    pub messages: Vec<MessageRecord>,
}

/// A (node, identity) pair that needs a UID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// The repository node.
    pub node_id: String,
    /// What makes the message's bytes.
    pub identity: String,
    /// Shared flags and keywords to start with (from APPEND/COPY, or imported from the node);
    /// `\Seen` and private keywords here are ignored. Not used when flags are carried over
    /// from a replaced row.
    pub shared_flags: Flags,
    /// `\Seen` for every user who has not set their own: imported from the built-in server's
    /// shared `imap:flagSeen`.
    pub default_seen: bool,
    /// Private flags for one user (e.g. the `\Seen` of an APPEND).
    pub private_flags: Option<(String, Flags)>,
    /// A live row of the same node that this one replaces (its identity changed): it is
    /// retired in the same transaction and its shared flags (not the private ones) carried
    /// over. A node has one identity at a time, so a new pair retires *every* live row of the
    /// same node with another identity, named here or not; if the named row is gone already
    /// (a concurrent writer replaced it), the flags of the newest such row carry over.
    pub replaces: Option<Uid>,
    /// Opaque data pinned with the UID.
    pub pin: Option<Vec<u8>>,
}

/// The result of [`StateStore::allocate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    /// One UID per requested message, in request order. A pair that already had a live row
    /// (a concurrent writer got there first) keeps its existing UID, and the requested shared
    /// and private flags are added to it, so that the flags of an APPEND that lost the race
    /// to a reconciliation are not lost.
    pub uids: Vec<Uid>,
    /// Rows retired because they were replaced, ascending.
    pub retired: Vec<Uid>,
    /// UIDs claimed as `\Recent` by this call, if a claim was asked for and anything was new.
    pub recent: Option<RangeInclusive<Uid>>,
    /// The mailbox's counters after the transaction.
    pub record: MailboxRecord,
}

/// How a STORE changes flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagOp {
    /// `+FLAGS`.
    Add,
    /// `-FLAGS`.
    Remove,
    /// `FLAGS`.
    Replace,
}

/// A flag change asked for by one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagUpdate {
    /// The messages to change.
    pub uids: Vec<Uid>,
    /// Add, remove or replace.
    pub op: FlagOp,
    /// The flags named by the client.
    pub flags: Flags,
    /// RFC 7162 UNCHANGEDSINCE: messages whose MODSEQ (as this user sees it) is greater are
    /// left alone and reported in [`FlagOutcome::modified`].
    pub unchanged_since: Option<ModSeq>,
}

/// The result of [`StateStore::store_flags`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlagOutcome {
    /// Messages whose flags changed, with their new merged flags and MODSEQ, in UID order.
    pub changed: Vec<MessageRecord>,
    /// Messages left alone because of UNCHANGEDSINCE, in UID order.
    pub modified: Vec<Uid>,
}

/// What changed in a mailbox since a MODSEQ, as one user sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Live messages whose shared flags or this user's private flags changed (or that were
    /// created) after the given MODSEQ, in UID order.
    pub changed: Vec<MessageRecord>,
    /// UIDs retired after the given MODSEQ, ascending.
    pub vanished: Vec<Uid>,
    /// This user's HIGHESTMODSEQ now.
    pub highest_modseq: ModSeq,
}

/// A user's explicit choice about one mailbox name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// The mailbox name as the client gave it (decoded, `/`-separated).
    pub name: String,
    /// `true` after SUBSCRIBE, `false` after UNSUBSCRIBE (which overrides a default).
    pub subscribed: bool,
}

/// Everything that can go wrong in the state store.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The backing database failed (I/O, corruption, a failed statement).
    #[error("state store failure: {0}")]
    Backend(String),
    /// The state database cannot be reached right now (a shared store's server is down or
    /// restarting); nothing was changed, and the same call may succeed later.
    #[error("state store unavailable: {0}")]
    Unavailable(String),
    /// A mailbox id that the store does not know (e.g. forgotten meanwhile).
    #[error("unknown mailbox {0}")]
    UnknownMailbox(MailboxId),
    /// UIDs of this mailbox are exhausted (2^32 - 1): a new UIDVALIDITY is needed.
    #[error("mailbox {0} has no UIDs left")]
    UidsExhausted(MailboxId),
    /// The store's schema is newer than this program, or a migration failed.
    #[error("state store schema: {0}")]
    Schema(String),
}

/// The persistent state of the sidecar. Implementations: [`sqlite::SqliteStore`] (embedded,
/// the default) and, for several replicas, [`postgres::PostgresStore`]; [`open()`] opens the
/// one a configuration names. Every method is one transaction.
#[async_trait]
pub trait StateStore: Send + Sync + 'static {
    /// Returns the mailbox for `key`, creating it on first use. A new mailbox gets
    /// UIDVALIDITY `max(now in seconds, last value used for name_key + 1)`, where `name_key`
    /// names the mailbox for the client (its path), so that a folder deleted and created again
    /// under the same name never repeats a UIDVALIDITY.
    async fn open_mailbox(
        &self,
        key: &MailboxKey,
        name_key: &str,
    ) -> Result<MailboxRecord, StateError>;

    /// The mailbox's counters and live messages, with `user`'s private flags merged in.
    async fn snapshot(&self, mailbox: MailboxId, user: &str)
    -> Result<MailboxSnapshot, StateError>;

    /// Assigns UIDs to new (node, identity) pairs, in the order given (the caller sorts by
    /// arrival), in one transaction that holds the mailbox row: `UNIQUE(mailbox, node,
    /// identity)` among live rows, so two writers can never disagree. Rows named in
    /// `replaces` are retired. With `claim_recent`, every UID above the `\Recent` watermark
    /// is claimed by the caller (RFC 3501 §2.3.2) and the watermark moves to `uid_next - 1`.
    /// When the UIDs run out the call fails with [`StateError::UidsExhausted`] and changes
    /// nothing.
    async fn allocate(
        &self,
        mailbox: MailboxId,
        new: &[NewMessage],
        claim_recent: bool,
    ) -> Result<Allocation, StateError>;

    /// Retires live rows (the node is gone for good, or moved out of the folder): each
    /// becomes a tombstone with a fresh MODSEQ, and its private flags go. Returns the UIDs
    /// actually retired, ascending.
    async fn retire(&self, mailbox: MailboxId, uids: &[Uid]) -> Result<Vec<Uid>, StateError>;

    /// Changes flags for `user`: `\Seen` and private keywords in the user's private row,
    /// everything else in the shared row. Only messages whose flags really change get a new
    /// MODSEQ. Retired or unknown UIDs are ignored.
    async fn store_flags(
        &self,
        mailbox: MailboxId,
        user: &str,
        update: &FlagUpdate,
    ) -> Result<FlagOutcome, StateError>;

    /// What changed after `since` for `user` (CONDSTORE/QRESYNC, and how sessions learn of
    /// other sessions' flag changes). Other users' private changes are not reported and
    /// raise neither this user's MODSEQ of a message nor their HIGHESTMODSEQ.
    async fn changes_since(
        &self,
        mailbox: MailboxId,
        user: &str,
        since: ModSeq,
    ) -> Result<Changes, StateError>;

    /// Forgets a mailbox whose folder is gone: its rows go, the UIDVALIDITY history stays.
    /// Forgetting an unknown (e.g. already forgotten) mailbox is not an error.
    async fn forget_mailbox(&self, mailbox: MailboxId) -> Result<(), StateError>;

    /// Records SUBSCRIBE (`true`) or UNSUBSCRIBE (`false`) of `name` by `user`.
    async fn set_subscription(
        &self,
        user: &str,
        name: &str,
        subscribed: bool,
    ) -> Result<(), StateError>;

    /// Every explicit subscription choice of `user`, sorted by name.
    async fn subscriptions(&self, user: &str) -> Result<Vec<Subscription>, StateError>;

    /// Every mailbox the store knows, by id, with the name it was last opened under (for
    /// operator commands such as `alfresco-imap state renumber`).
    async fn mailboxes(&self) -> Result<Vec<NamedMailbox>, StateError>;

    /// A stored message summary.
    async fn summary(&self, key: &str) -> Result<Option<Vec<u8>>, StateError>;

    /// Stores a message summary (idempotent: the same key always describes the same bytes).
    async fn put_summary(&self, key: &str, summary: &[u8]) -> Result<(), StateError>;

    /// Stored message summaries of many keys at once, in the order of `keys` (a FETCH of a
    /// whole folder reads them in one go instead of one transaction each).
    async fn summaries(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StateError> {
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            out.push(self.summary(key).await?);
        }
        Ok(out)
    }

    /// Stores many message summaries (`(key, summary)`), in one transaction where the backend
    /// can: summaries are derived data, and one commit per message would make a first FETCH
    /// of a big folder wait on the disk once per message.
    async fn put_summaries(&self, entries: &[(String, Vec<u8>)]) -> Result<(), StateError> {
        for (key, summary) in entries {
            self.put_summary(key, summary).await?;
        }
        Ok(())
    }

    /// A template text kept by its hash.
    async fn template(&self, hash: &str) -> Result<Option<String>, StateError>;

    /// Keeps a template text by its hash (idempotent).
    async fn put_template(&self, hash: &str, text: &str) -> Result<(), StateError>;
}
