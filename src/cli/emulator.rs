//! `alfresco-imap emulator`: the built-in Alfresco emulator on its own, on 127.0.0.1.

use std::process::ExitCode;

use super::{EXIT_FAILURE, EmulatorArgs, Seed, runtime};
use crate::emulator;

/// Runs the emulator until interrupted (Ctrl-C); status 1 when it cannot start.
pub fn run_emulator(args: &EmulatorArgs) -> ExitCode {
    let seed = match args.seed {
        Seed::Demo => emulator::Seed::Demo,
        Seed::Empty => emulator::Seed::Empty,
    };
    let result = runtime()
        .map_err(emulator::EmulatorError::Io)
        .and_then(|runtime| runtime.block_on(emulator::run_cli(args.port, seed)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}
