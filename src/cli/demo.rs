//! `alfresco-imap demo`: the emulator with demo data and the IMAP server on top of it.

use std::process::ExitCode;

use super::{DemoArgs, EXIT_FAILURE};

/// Starts the emulator and the IMAP server and prints how to connect.
///
/// Not available yet: wired in here once the emulator and the IMAP server exist.
pub fn run_demo(args: &DemoArgs) -> ExitCode {
    let _ = args;
    eprintln!("alfresco-imap demo: not available yet in this build");
    ExitCode::from(EXIT_FAILURE)
}
