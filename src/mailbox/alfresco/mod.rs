//! The repository as mailboxes, over the Public REST API, as the logged-in user.
//!
//! A user sees `INBOX` and their own folders (their IMAP home, in ARCHIVE mode), one top-level
//! mailbox per mount point mirroring the repository in its view mode, and `Trash` (their
//! repository trashcan). Every call is made with the user's own credentials, so the
//! repository's permissions apply to everything (design decision 1).
//!
//! - [`settings`]: what is taken from the configuration;
//! - `session`: the authenticator and the per-user [`AlfrescoMailboxes`];
//! - `home`: finding, checking and creating IMAP homes;
//! - `tree`: mailbox names ↔ folders, and the folders LIST shows;
//! - `listing`: folder contents as message items, and the cheap change check;
//! - `document`: the facts and the generated message of a document;
//! - `write`: APPEND, COPY, MOVE, EXPUNGE, CREATE, DELETE, RENAME;
//! - `trash`: the trashcan as the `\Trash` mailbox.

mod attachments;
mod document;
mod errors;
mod home;
mod listing;
mod search;
mod session;
pub mod settings;
mod trash;
mod tree;
mod write;

pub use home::{ProvisionReport, provision_homes};
pub use session::{AlfrescoAuthenticator, AlfrescoBackend, AlfrescoMailboxes};
pub use settings::BackendSettings;
