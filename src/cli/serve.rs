//! `alfresco-imap serve`: load and validate configuration, start logging, check the repository
//! is ready, run the server until SIGTERM or Ctrl-C.

use std::process::ExitCode;

use super::repository::ready_client;
use super::{
    EXIT_FAILURE, EXIT_INVALID, ServeArgs, init_logging, load_config, report_errors, runtime,
};
use crate::app::{App, AppOptions};
use crate::config::ImapConfig;
use crate::server::Security;

/// The keys that name where the state store lives; one of them must be set outside the shipped
/// defaults (or `--ephemeral` given) for `serve` to start.
pub const STATE_LOCATION_KEYS: [&str; 2] = ["imap.sidecar.state.url", "imap.sidecar.data.dir"];

/// Loads and validates configuration, refuses an implicit state location, starts logging,
/// checks that the repository answers `probes/-ready-` (status 1 with a message naming its URL
/// when it does not), then runs the listeners until SIGTERM or Ctrl-C.
pub fn run_serve(args: &ServeArgs) -> ExitCode {
    let config = match load_config(&args.config) {
        Ok(config) => config,
        Err(errors) => {
            report_errors(&errors);
            return ExitCode::from(EXIT_INVALID);
        }
    };
    if !args.ephemeral && !state_location_is_explicit(&config) {
        eprintln!(
            "error: no state location chosen: set imap.sidecar.state.url (or \
             imap.sidecar.data.dir) to persistent storage, or pass --ephemeral to keep the \
             state in memory (every restart then makes clients download everything again)"
        );
        return ExitCode::from(EXIT_INVALID);
    }
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
    let options = AppOptions {
        ephemeral_state: args.ephemeral,
    };
    runtime.block_on(async {
        if let Err(error) = ready_client(&config).await {
            eprintln!("error: {error}");
            return ExitCode::from(EXIT_FAILURE);
        }
        serve(&config, &options).await
    })
}

/// True when a configuration layer above the shipped defaults names the state location.
pub fn state_location_is_explicit(config: &ImapConfig) -> bool {
    STATE_LOCATION_KEYS.iter().any(|key| {
        config
            .properties()
            .setting(key)
            .is_some_and(|setting| !setting.origin.is_default())
    })
}

/// Starts the listeners, prints where they listen, and serves until a signal.
async fn serve(config: &ImapConfig, options: &AppOptions) -> ExitCode {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let app = match App::start(config, options).await {
        Ok(app) => app,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    let listening: Vec<String> = [(Security::Plain, "IMAP"), (Security::Implicit, "IMAPS")]
        .iter()
        .filter_map(|(security, name)| {
            app.server
                .address(*security)
                .map(|address| format!("{name} {address}"))
        })
        .collect();
    eprintln!(
        "alfresco-imap serve: listening on {}; repository {}",
        listening.join(", "),
        config.repository.base_url
    );
    app.run_until_signal().await;
    ExitCode::SUCCESS
}
