//! `alfresco-imap state`: maintenance of the state store. `state migrate` brings the schema
//! of the configured store up to date and prints its version; `state renumber [--mailbox
//! NAME]` gives generated messages new UIDs so that edited templates apply everywhere.

use std::process::ExitCode;

use super::{
    EXIT_FAILURE, EXIT_INVALID, MigrateArgs, RenumberArgs, StateCommand, load_config, report_errors,
};
use crate::app::{AppOptions, open_store};
use crate::config::{ImapConfig, StateStoreUrl};
use crate::mailbox::alfresco::renumber_generated_messages;
use crate::state::Migration;

/// Runs a `state` subcommand.
pub fn run_state(command: &StateCommand) -> ExitCode {
    match command {
        StateCommand::Renumber(args) => run_renumber(args),
        StateCommand::Migrate(args) => run_migrate(args),
    }
}

/// Loads the configuration and a single-threaded runtime, or says why not.
fn prepare(config: &super::ConfigArgs) -> Result<(ImapConfig, tokio::runtime::Runtime), ExitCode> {
    let config = load_config(config).map_err(|errors| {
        report_errors(&errors);
        ExitCode::from(EXIT_INVALID)
    })?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| {
            eprintln!("error: {error}");
            ExitCode::from(EXIT_FAILURE)
        })?;
    Ok((config, runtime))
}

fn run_migrate(args: &MigrateArgs) -> ExitCode {
    let (config, runtime) = match prepare(&args.config) {
        Ok(prepared) => prepared,
        Err(code) => return code,
    };
    let url = &config.state.url;
    if let StateStoreUrl::Sqlite(path) = url
        && let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
        && let Err(error) = std::fs::create_dir_all(parent)
    {
        eprintln!(
            "error: cannot create the state directory {}: {error}",
            parent.display()
        );
        return ExitCode::from(EXIT_FAILURE);
    }
    match runtime.block_on(crate::state::migrate(url, crate::clock::system())) {
        Ok(migration) => {
            println!("{}", describe(url, migration));
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

/// One line for the operator: which store, and what the migration did.
fn describe(url: &StateStoreUrl, migration: Migration) -> String {
    let store = match url {
        StateStoreUrl::Sqlite(path) => format!("SQLite state file {}", path.display()),
        StateStoreUrl::Postgres(_) => "PostgreSQL state database".to_owned(),
    };
    if migration.from == migration.to {
        format!("{store}: schema version {} (up to date)", migration.to)
    } else {
        format!(
            "{store}: schema version {} (migrated from version {})",
            migration.to, migration.from
        )
    }
}

fn run_renumber(args: &RenumberArgs) -> ExitCode {
    let (config, runtime) = match prepare(&args.config) {
        Ok(prepared) => prepared,
        Err(code) => return code,
    };
    let outcome = runtime.block_on(async {
        let store = open_store(&config, crate::clock::system(), &AppOptions::default())
            .await
            .map_err(|e| e.to_string())?
            .store;
        renumber_generated_messages(&*store, args.mailbox.as_deref())
            .await
            .map_err(|e| e.to_string())
    });
    match outcome {
        Ok(report) if args.mailbox.is_some() && report.mailboxes == 0 => {
            eprintln!(
                "error: no mailbox is called {:?} in the state store",
                args.mailbox.as_deref().unwrap_or_default()
            );
            ExitCode::from(EXIT_FAILURE)
        }
        Ok(report) => {
            println!(
                "{} generated messages in {} mailboxes will get new UIDs when their mailbox is next listed",
                report.messages, report.mailboxes
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}
