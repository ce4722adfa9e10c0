//! The IMAP protocol: framing, decoding, the sans-I/O session state machine, and the commands.
//!
//! Bytes from the client go through the [`framing::Framer`] (lines and literals, bounded),
//! then [`decode`] (imap-codec, with a fallback for the extended forms it cannot parse), then
//! the [`session::Session`], which writes [`output::Output`]s. Nothing here does I/O.

pub mod base_subject;
pub mod commands;
pub mod context;
pub mod decode;
pub mod fallback;
pub mod flags;
pub mod framing;
pub mod messages;
pub mod names;
pub mod output;
pub mod selected;
pub mod sequence;
pub mod session;
pub mod thread;
pub mod utf7;

pub use context::{Change, ChangeHub, ServerContext, SessionSettings};
pub use session::{ConnectionInfo, Input, Session, Step};
