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
//! - `document`: what a generated message is made of, pinned with its UID;
//! - `templates`: the body templates (repository, project folder, built in) and their lookup;
//! - `template_model`: the data model templates are rendered against;
//! - `virtual_view`: the generated message itself, cached, with the document streamed in;
//! - `renumber`: giving generated messages new UIDs (`alfresco-imap state renumber`);
//! - `write`: APPEND, COPY, MOVE, EXPUNGE, CREATE, DELETE, RENAME;
//! - `trash`: the trashcan as the `\Trash` mailbox.

mod attachments;
mod document;
mod errors;
mod home;
mod listing;
mod renumber;
mod search;
mod session;
pub mod settings;
mod template_model;
pub mod templates;
mod trash;
mod tree;
mod virtual_view;
mod write;

pub use home::{ProvisionReport, provision_homes};
pub use renumber::{RenumberReport, renumber_generated_messages};
pub use session::{AlfrescoAuthenticator, AlfrescoBackend, AlfrescoMailboxes};
pub use settings::BackendSettings;
pub use templates::{TemplateReport, check_repository_templates};
pub use tree::TRASH_ID;
