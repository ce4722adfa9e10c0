//! `alfresco-imap serve`: load and validate configuration, start logging, run the server.

use std::process::ExitCode;

use super::{ConfigArgs, EXIT_FAILURE, EXIT_INVALID, init_logging, load_config, report_errors};

/// Loads and validates configuration and starts logging. The listeners and the repository
/// readiness check are added here by the server; until then this stops after validation.
pub fn run_serve(args: &ConfigArgs) -> ExitCode {
    let config = match load_config(args) {
        Ok(config) => config,
        Err(errors) => {
            report_errors(&errors);
            return ExitCode::from(EXIT_INVALID);
        }
    };
    if let Err(error) = init_logging(&config) {
        eprintln!("error: {error}");
        return ExitCode::from(EXIT_FAILURE);
    }
    for warning in config.warnings() {
        tracing::warn!("{warning}");
    }
    eprintln!(
        "alfresco-imap serve: configuration is valid ({} mount points, repository {}); \
         the IMAP listeners are not part of this build yet",
        config.mount_points.len(),
        config.repository.base_url
    );
    ExitCode::SUCCESS
}
