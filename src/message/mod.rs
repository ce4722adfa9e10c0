//! Messages: RFC 822 parsing, summaries (ENVELOPE, BODYSTRUCTURE, part offsets), sections,
//! and generated (virtual) messages.
