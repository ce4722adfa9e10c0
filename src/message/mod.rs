//! Messages: RFC 822 parsing, summaries (ENVELOPE, BODYSTRUCTURE, part offsets), sections,
//! and generated (virtual) messages.
//!
//! - [`summarize`] turns message bytes into a [`MessageSummary`] (stored per message), from
//!   which the IMAP layer answers RFC822.SIZE, ENVELOPE, BODY, BODYSTRUCTURE and BINARY.SIZE;
//! - [`section`] finds the bytes of `BODY[...]` and `BINARY[...]`;
//! - [`metadata`] computes the repository properties of an APPENDed e-mail;
//! - [`virtual_message`] writes the byte-stable message shown for a document.

mod envelope;
mod header;
mod header_writer;
mod mapped;
pub mod metadata;
mod mime_fields;
mod parser;
mod rfc822;
pub mod section;
mod structure;
mod summary;
pub mod transfer;
pub mod virtual_message;

pub use envelope::parse_address_list;
pub use mapped::summarize_file;
pub use summary::{
    AddressFields, EnvelopeFields, MessageSummary, MimeFields, PartKind, PartSummary,
    SUMMARY_VERSION, SummaryError, Text, header_end, summarize,
};
