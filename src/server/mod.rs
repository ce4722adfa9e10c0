//! The network layer: listeners, TLS, limits, timeouts and graceful shutdown. Everything about
//! IMAP itself is in [`crate::imap`]; this layer moves bytes and enforces bounds.

pub mod connection;
pub mod listener;
pub mod spool;
pub mod tls;
pub mod transport;

pub use connection::{ConnectionSettings, ConnectionShared, Ending};
pub use listener::{Gauges, RunningServer, Security};
pub use spool::AppendBudget;
pub use tls::TlsSource;
