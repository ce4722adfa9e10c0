//! `alfresco-imap emulator`: the built-in Alfresco emulator on its own.

use std::process::ExitCode;

use super::{EXIT_FAILURE, EmulatorArgs};

/// Runs the emulator until interrupted.
///
/// Not available yet: the emulator is wired in here once `crate::emulator` provides it.
pub fn run_emulator(args: &EmulatorArgs) -> ExitCode {
    let _ = args;
    eprintln!("alfresco-imap emulator: not available yet in this build");
    ExitCode::from(EXIT_FAILURE)
}
