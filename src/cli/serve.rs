//! `alfresco-imap serve`: load and validate configuration, start logging, check the repository
//! is ready, run the server.

use std::process::ExitCode;

use super::repository::ready_client;
use super::{
    ConfigArgs, EXIT_FAILURE, EXIT_INVALID, init_logging, load_config, report_errors, runtime,
};
use crate::alfresco::AlfrescoClient;
use crate::config::ImapConfig;

/// Loads and validates configuration, starts logging, checks that the repository answers
/// `probes/-ready-` (status 1 with a message naming its URL when it does not), then starts the
/// listeners.
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
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    runtime.block_on(async {
        let client = match ready_client(&config).await {
            Ok(client) => client,
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::from(EXIT_FAILURE);
            }
        };
        start_imap_listeners(&config, client).await
    })
}

/// HOOK (IMAP listeners): starts the IMAP and IMAPS listeners named by the configuration, with
/// `client` for every user's repository calls, and serves until shutdown.
///
/// The listeners are wired in here with the protocol step; until then this reports that the
/// configuration is valid and the repository ready, and returns.
async fn start_imap_listeners(config: &ImapConfig, client: AlfrescoClient) -> ExitCode {
    let _ = client;
    eprintln!(
        "alfresco-imap serve: configuration is valid ({} mount points), repository {} is ready; \
         the IMAP listeners are not part of this build yet",
        config.mount_points.len(),
        config.repository.base_url
    );
    ExitCode::SUCCESS
}
