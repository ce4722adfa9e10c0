//! Logging with `tracing`: text or JSON lines on stderr, filtered by `imap.sidecar.log.level`
//! (which the `RUST_LOG` variable also sets). Colours only when stderr is a terminal.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::{ImapConfig, LogFormat};

/// Why logging could not start.
#[derive(Debug, thiserror::Error)]
pub enum LoggingError {
    /// The filter in `imap.sidecar.log.level` does not parse.
    #[error("imap.sidecar.log.level: {0}")]
    Filter(#[from] tracing_subscriber::filter::ParseError),
    /// A global subscriber is already installed (logging was started twice).
    #[error("logging is already started: {0}")]
    AlreadyStarted(String),
}

/// Installs the global `tracing` subscriber described by `config.ops`.
pub fn init_logging(config: &ImapConfig) -> Result<(), LoggingError> {
    let filter = EnvFilter::builder().parse(&config.ops.log_level)?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let result = match config.ops.log_format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    result.map_err(|error| LoggingError::AlreadyStarted(error.to_string()))
}
