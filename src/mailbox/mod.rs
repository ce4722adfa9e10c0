//! Repository content as mailboxes: hierarchy, view modes, and the operations behind IMAP.

pub mod backend;

pub use backend::*;
pub mod alfresco;
pub mod memory;
