//! The IMAP protocol: framing, the sans-I/O session state machine, and the commands.
