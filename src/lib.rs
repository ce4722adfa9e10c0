//! alfresco-imap: an IMAP server that shows an Alfresco Content Services repository as mail.
//!
//! The crate is one product with one data flow: socket → [`server`] → [`imap`] session →
//! [`mailbox`] → ([`state`], [`alfresco`], [`message`]) → back as responses. Nothing below
//! [`imap`] knows IMAP syntax; nothing outside [`alfresco`] (and the [`emulator`]) knows HTTP.

pub mod alfresco;
pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod emulator;
pub mod events;
pub mod imap;
pub mod mailbox;
pub mod message;
pub mod ops;
pub mod server;
pub mod state;
pub mod template;
