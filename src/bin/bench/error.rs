//! What can stop a benchmark run.

/// Why a scenario could not be measured.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A socket, pipe or file failed.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    /// A server answered something the scenario cannot go on with.
    #[error("{0}")]
    Protocol(String),
    /// A helper process failed to start or to answer.
    #[error("helper process: {0}")]
    Worker(String),
    /// Something took far longer than any sane run would.
    #[error("timed out: {0}")]
    Timeout(String),
}

/// The result of a benchmark step.
pub type Result<T> = std::result::Result<T, BenchError>;

/// A protocol error with a message.
pub fn protocol(message: impl Into<String>) -> BenchError {
    BenchError::Protocol(message.into())
}
