//! The `alfresco-imap` command line: `serve`, `check`, `config`, `emulator`, `demo`, `state`.
//!
//! [`main`] parses the arguments and runs one subcommand; each subcommand lives in its own file
//! and returns the process exit status (0 success, 1 run-time failure, 2 invalid command line or
//! configuration).

mod args;
mod check;
mod config_command;
mod demo;
mod emulator;
mod logging;
mod provision;
mod repository;
mod serve;
mod state_command;

use std::process::ExitCode;

use clap::Parser;

pub use args::{
    CheckArgs, Cli, Command, ConfigArgs, ConfigCommandArgs, DemoArgs, EmulatorArgs, MigrateArgs,
    ProvisionArgs, RenumberArgs, Seed, ServeArgs, StateCommand,
};
pub use check::{TEMPLATES_PATH, check, run_check};
pub use config_command::{FolderResolution, render_effective_config, run_config};
pub use demo::run_demo;
pub use emulator::run_emulator;
pub use logging::{LoggingError, init_logging};
pub use repository::{RepositoryError, ready_client};
pub use serve::run_serve;
pub use state_command::run_state;

use crate::config::{ConfigErrors, ConfigSources, ImapConfig};

/// Exit status for an invalid command line or configuration.
pub const EXIT_INVALID: u8 = 2;
/// Exit status for a failure while running.
pub const EXIT_FAILURE: u8 = 1;

/// Parses the process arguments and runs the chosen subcommand.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // --help and --version land here too, with status 0.
            let _ = error.print();
            return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(EXIT_INVALID));
        }
    };
    match cli.command {
        Command::Serve(args) => run_serve(&args),
        Command::Check(args) => run_check(&args),
        Command::ProvisionHomes(args) => provision::run_provision(&args),
        Command::Config(args) => run_config(&args),
        Command::Emulator(args) => run_emulator(&args),
        Command::Demo(args) => run_demo(&args),
        Command::State(command) => run_state(&command),
    }
}

/// Loads configuration from `args` and the process environment.
pub fn load_config(args: &ConfigArgs) -> Result<ImapConfig, ConfigErrors> {
    let sources = ConfigSources::from_process(args.files.clone(), args.defines.clone());
    ImapConfig::load(&sources)
}

/// The async runtime a subcommand runs its network work on.
fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

/// Prints every configuration error on stderr, one per line.
pub fn report_errors(errors: &ConfigErrors) {
    for error in errors.iter() {
        eprintln!("error: {error}");
    }
}
