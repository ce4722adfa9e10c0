//! The interface between the IMAP session and the repository: [`Authenticator`] logs a user
//! in and yields their [`Mailboxes`], which answer with folders, paged listings and lazily
//! fetched bytes.
//!
//! Names are decoded (UTF-8), use `/` as the hierarchy delimiter, and are given exactly as the
//! repository stores them; `INBOX` is always spelled in capitals. UIDs, flags and summaries are
//! not the backend's business: the session keeps them in the state store, keyed by the
//! [`MailboxKey`] and node ids the backend hands out.

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, FixedOffset, Utc};
use futures::Stream;
use zeroize::Zeroizing;

use crate::state::{Flags, MailboxKey};

/// The hierarchy delimiter of every mailbox name.
pub const DELIMITER: char = '/';

/// A password or token, wiped from memory when dropped and never printed.
#[derive(Clone)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a secret string.
    pub fn new(value: impl Into<String>) -> Self {
        Self(Zeroizing::new(value.into()))
    }

    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// What a client presented to log in.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// LOGIN, AUTHENTICATE PLAIN or LOGIN.
    Password {
        /// The login name (the Alfresco user id, in any case).
        user: String,
        /// The password.
        password: Secret,
    },
    /// AUTHENTICATE OAUTHBEARER or XOAUTH2: the bearer token is the repository credential.
    Bearer {
        /// The user the client claims to be, if it said.
        user: Option<String>,
        /// The token.
        token: Secret,
    },
}

impl Credentials {
    /// The login name given, if any (for logs and throttling).
    pub fn user(&self) -> Option<&str> {
        match self {
            Credentials::Password { user, .. } => Some(user),
            Credentials::Bearer { user, .. } => user.as_deref(),
        }
    }
}

/// Why a login failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// Wrong user name or password, or an invalid token.
    #[error("authentication failed")]
    Rejected,
    /// The repository could not be asked.
    #[error("the repository is unavailable: {0}")]
    Unavailable(String),
    /// The user's IMAP home cannot be used safely (or at all); the detail is for the log.
    #[error("the account cannot be used: {0}")]
    AccountUnusable(String),
}

/// Logs users in.
#[async_trait]
pub trait Authenticator: Send + Sync + 'static {
    /// Checks the credentials with the repository and returns the user's mailboxes.
    async fn authenticate(
        &self,
        credentials: &Credentials,
    ) -> Result<Arc<dyn Mailboxes>, AuthError>;
}

/// SPECIAL-USE (RFC 6154) roles of mailboxes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpecialUse {
    /// `\Sent`.
    Sent,
    /// `\Drafts`.
    Drafts,
    /// `\Junk`.
    Junk,
    /// `\Archive`.
    Archive,
    /// `\Trash`: the user's repository trashcan.
    Trash,
}

impl SpecialUse {
    /// The attribute as it appears in LIST.
    pub fn attribute(self) -> &'static str {
        match self {
            SpecialUse::Sent => "\\Sent",
            SpecialUse::Drafts => "\\Drafts",
            SpecialUse::Junk => "\\Junk",
            SpecialUse::Archive => "\\Archive",
            SpecialUse::Trash => "\\Trash",
        }
    }
}

/// What a user may do in a mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MailboxRights {
    /// APPEND, COPY and MOVE into it.
    pub insert: bool,
    /// Change shared flags and keywords of its messages (PERMANENTFLAGS).
    pub update: bool,
    /// Set `\Deleted` and EXPUNGE.
    pub delete: bool,
    /// CREATE below it.
    pub create_children: bool,
}

/// A mailbox as the backend describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxInfo {
    /// The full name (`Alfresco IMAP/Sites/marketing/documentLibrary`).
    pub name: String,
    /// The state-store key; `None` for a mailbox that cannot be selected (`\Noselect`).
    pub key: Option<MailboxKey>,
    /// Whether it has child mailboxes (`\HasChildren` / `\HasNoChildren`).
    pub has_children: bool,
    /// Its special use, if any.
    pub special_use: Option<SpecialUse>,
    /// What the user may do in it.
    pub rights: MailboxRights,
    /// Whether the user is subscribed to it until they say otherwise.
    pub subscribed_by_default: bool,
}

/// What a user may do with one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ItemRights {
    /// Change shared flags and keywords.
    pub update: bool,
    /// Set `\Deleted` and expunge it.
    pub delete: bool,
}

/// One message-making node in a mailbox listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The node id.
    pub node_id: String,
    /// What makes the message's bytes (design decision 3).
    pub identity: String,
    /// Arrival in the folder (`createdAt`, milliseconds): the order of new UIDs.
    pub arrival: i64,
    /// INTERNALDATE.
    pub internal_date: DateTime<Utc>,
    /// The message's exact size, when the listing knows it (stored e-mails).
    pub size: Option<u64>,
    /// What the user may do with it.
    pub rights: ItemRights,
    /// Flags left on the node by Alfresco's built-in server, imported on first sight.
    pub imported_flags: Flags,
    /// The inputs to pin if a new UID is assigned (generated messages, design decision 6).
    pub pin: Option<Vec<u8>>,
}

/// A full listing of a mailbox for one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    /// The messages, in no particular order.
    pub items: Vec<Item>,
    /// An opaque token for [`Mailboxes::changed_since`].
    pub stamp: String,
    /// `false` when the repository changed while the listing was paged and a rescan did not
    /// settle: the items are then a subset, and a missing item must not become an EXPUNGE.
    pub complete: bool,
}

/// What changed in a mailbox since a listing (see [`Mailboxes::changes_since`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListingChanges {
    /// Certainly nothing.
    None,
    /// Only these nodes changed, and no node arrived or left: each node id with its item as
    /// the mailbox shows it now (`None`: the mailbox no longer shows it). Applied to the last
    /// listing, they make the current one, whose stamp is `stamp`. A node the last listing
    /// did not show means the caller must list the mailbox in full after all.
    Nodes {
        /// The changed nodes.
        changed: Vec<(String, Option<Item>)>,
        /// The stamp of the listing they make.
        stamp: String,
    },
    /// Something changed that only a full listing shows.
    Unknown,
}

/// A message as the session knows it: enough for the backend to find its bytes again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRef {
    /// The node id.
    pub node_id: String,
    /// The identity the UID stands for.
    pub identity: String,
    /// The data pinned with the UID.
    pub pin: Option<Vec<u8>>,
}

/// What a message's bytes look like, known without reading them (a generated message whose
/// document is attached is described by arithmetic, not by downloading the document).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownStructure {
    /// The summary (sizes, ENVELOPE, BODYSTRUCTURE, part offsets) of the whole message.
    pub summary: crate::message::MessageSummary,
    /// The header block (blank line included).
    pub header: Bytes,
}

/// A stream of message bytes.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, MailboxError>> + Send>>;

/// Message bytes being fetched.
pub struct Content {
    /// The exact number of bytes the stream yields.
    pub length: u64,
    /// The bytes.
    pub stream: ByteStream,
}

impl fmt::Debug for Content {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Content")
            .field("length", &self.length)
            .finish_non_exhaustive()
    }
}

/// The bytes of a message to store.
#[derive(Debug, Clone)]
pub enum MessageBody {
    /// Held in memory (small messages).
    Memory(Bytes),
    /// Spooled to a file that lives as long as the request (large APPENDs).
    File {
        /// The spool file.
        path: PathBuf,
        /// Its length.
        length: u64,
    },
}

impl MessageBody {
    /// The number of bytes.
    pub fn len(&self) -> u64 {
        match self {
            MessageBody::Memory(bytes) => bytes.len() as u64,
            MessageBody::File { length, .. } => *length,
        }
    }

    /// Whether the body is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An APPEND.
#[derive(Debug, Clone)]
pub struct AppendRequest {
    /// The message.
    pub body: MessageBody,
    /// The flags the client gave.
    pub flags: Flags,
    /// The date the client gave.
    pub internal_date: Option<DateTime<FixedOffset>>,
}

/// Where a node that left a listing went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// Still in this mailbox (the listing missed it, or it is back).
    Here,
    /// Moved elsewhere, or no longer shown by this mailbox's view.
    Elsewhere,
    /// Hidden from this user (403): gone for them only.
    Hidden,
    /// Deleted (404): gone for everyone.
    Gone,
}

/// Everything that can go wrong behind [`Mailboxes`]; each variant maps to one IMAP answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailboxError {
    /// No such mailbox (`NO [NONEXISTENT]`, or `[TRYCREATE]` as an APPEND/COPY target).
    #[error("no such mailbox")]
    NotFound,
    /// The name is taken (`NO [ALREADYEXISTS]`).
    #[error("the mailbox already exists")]
    AlreadyExists,
    /// The repository refused (`NO [NOPERM]`).
    #[error("permission denied: {0}")]
    NoPermission(String),
    /// Not possible here, with the reason (`NO [CANNOT]`).
    #[error("{0}")]
    Cannot(String),
    /// The repository's quota is exceeded (`NO [OVERQUOTA]`).
    #[error("quota exceeded")]
    OverQuota,
    /// Too large for the repository (`NO [TOOBIG]`).
    #[error("message too large")]
    TooBig,
    /// The message is gone from the repository (`NO [EXPUNGEISSUED]`).
    #[error("the message has been deleted")]
    MessageGone,
    /// The selected mailbox itself is gone (`* BYE`).
    #[error("the mailbox has been deleted")]
    MailboxGone,
    /// The repository cannot be reached or failed (`NO [UNAVAILABLE]`).
    #[error("the repository is unavailable: {0}")]
    Unavailable(String),
    /// The user's credentials no longer work (`* BYE`).
    #[error("the login has expired")]
    LoginExpired,
    /// A bug or an unexpected answer (`NO [SERVERBUG]`).
    #[error("internal error: {0}")]
    Internal(String),
}

/// One user's repository as mailboxes. Every call is made with that user's credentials.
#[async_trait]
pub trait Mailboxes: Send + Sync + 'static {
    /// The canonical user id (the repository's spelling).
    fn user(&self) -> &str;

    /// The child mailboxes of `parent` (`None`: the top level, `INBOX` first), as LIST shows
    /// them. Filtered as the repository's view requires (hidden, system and excluded folders
    /// are left out).
    async fn children(&self, parent: Option<&str>) -> Result<Vec<MailboxInfo>, MailboxError>;

    /// The mailbox called `name`, looked up directly. Names compare after NFC normalisation,
    /// but case-sensitively: `foo` does not find `Foo`.
    async fn mailbox(&self, name: &str) -> Result<MailboxInfo, MailboxError>;

    /// The mailbox called `name`, as [`Mailboxes::mailbox`], for opening it (SELECT, EXAMINE,
    /// STATUS): only its name, key, special use and rights are meant to be used. A backend may
    /// leave out what costs repository calls and only LIST shows (`has_children` and
    /// `subscribed_by_default` are then `false`).
    async fn mailbox_to_open(&self, name: &str) -> Result<MailboxInfo, MailboxError> {
        self.mailbox(name).await
    }

    /// Names whose whole subtree is subscribed by default (the IMAP home, favourite sites).
    async fn default_subscription_roots(&self) -> Result<Vec<String>, MailboxError>;

    /// Called after the user subscribed to or unsubscribed from `name` (the session has
    /// already recorded it); a backend may mirror it in the repository.
    async fn subscription_changed(
        &self,
        _name: &str,
        _subscribed: bool,
    ) -> Result<(), MailboxError> {
        Ok(())
    }

    /// The node ids of `mailbox` whose text (document content, e-mail body) matches `text`,
    /// from the repository's full-text index; `None` when there is no index to ask (the
    /// session then reads the messages itself). The index is eventually consistent and matches
    /// analysed tokens, not substrings.
    async fn search_text(
        &self,
        _mailbox: &MailboxInfo,
        _text: &str,
    ) -> Result<Option<std::collections::HashSet<String>>, MailboxError> {
        Ok(None)
    }

    /// Creates `name` and any missing parents.
    async fn create(&self, name: &str) -> Result<(), MailboxError>;

    /// Deletes `name`.
    async fn delete(&self, name: &str) -> Result<(), MailboxError>;

    /// Renames `from` to `to` (the same folder, moved: its key does not change).
    async fn rename(&self, from: &str, to: &str) -> Result<(), MailboxError>;

    /// Lists every message of `mailbox` (paged as the repository needs).
    async fn list(&self, mailbox: &MailboxInfo) -> Result<Listing, MailboxError>;

    /// Like [`Mailboxes::list`], for opening a mailbox (SELECT, EXAMINE, STATUS): a listing
    /// this user's sessions made moments ago may be reused once the cheap change check says
    /// the folder is unchanged, exactly as a selected mailbox is revalidated between full
    /// listings. Never older than a write this user made through the server.
    async fn list_to_open(&self, mailbox: &MailboxInfo) -> Result<Listing, MailboxError> {
        self.list(mailbox).await
    }

    /// Whether `mailbox` may have changed since the listing that produced `stamp` (one cheap
    /// call). `false` means certainly unchanged.
    async fn changed_since(&self, mailbox: &MailboxInfo, stamp: &str)
    -> Result<bool, MailboxError>;

    /// What changed in `mailbox` since the listing that produced `stamp`: nothing, only
    /// some known nodes (their new items), or something a full listing must find. The
    /// default asks [`Mailboxes::changed_since`] and never names nodes.
    async fn changes_since(
        &self,
        mailbox: &MailboxInfo,
        stamp: &str,
    ) -> Result<ListingChanges, MailboxError> {
        Ok(if self.changed_since(mailbox, stamp).await? {
            ListingChanges::Unknown
        } else {
            ListingChanges::None
        })
    }

    /// Where nodes that left a listing went (see [`Presence`]), in the order given.
    async fn presence(
        &self,
        mailbox: &MailboxInfo,
        node_ids: &[String],
    ) -> Result<Vec<Presence>, MailboxError>;

    /// The bytes of a message, or of `range` of them. The length is known before the first
    /// byte; a message whose bytes no longer match what was listed is
    /// [`MailboxError::MessageGone`].
    async fn content(
        &self,
        mailbox: &MailboxInfo,
        item: &ItemRef,
        range: Option<Range<u64>>,
    ) -> Result<Content, MailboxError>;

    /// The structure of a message when the backend knows it without reading the message
    /// (`None`, the default: read the bytes and parse them).
    async fn known_structure(
        &self,
        _mailbox: &MailboxInfo,
        _item: &ItemRef,
    ) -> Result<Option<KnownStructure>, MailboxError> {
        Ok(None)
    }

    /// Stores a message; answers only after the repository confirmed it.
    async fn append(
        &self,
        mailbox: &MailboxInfo,
        request: &AppendRequest,
    ) -> Result<Item, MailboxError>;

    /// Copies messages into `to`, all or nothing: the new items in the order given.
    async fn copy(
        &self,
        from: &MailboxInfo,
        items: &[ItemRef],
        to: &MailboxInfo,
    ) -> Result<Vec<Item>, MailboxError>;

    /// Moves messages into `to` (the same nodes where the repository allows), all or
    /// nothing: the items as `to` lists them, in the order given.
    async fn move_to(
        &self,
        from: &MailboxInfo,
        items: &[ItemRef],
        to: &MailboxInfo,
    ) -> Result<Vec<Item>, MailboxError>;

    /// Removes messages from `mailbox` (EXPUNGE): one outcome per item, in the order given;
    /// only the ones that succeeded are gone.
    async fn expunge(
        &self,
        mailbox: &MailboxInfo,
        items: &[ItemRef],
    ) -> Result<Vec<Result<(), MailboxError>>, MailboxError>;
}
