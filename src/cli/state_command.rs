//! `alfresco-imap state`: maintenance of the state store. `state renumber [--mailbox NAME]`
//! gives generated messages new UIDs so that edited templates apply everywhere.

use std::process::ExitCode;

use super::{EXIT_FAILURE, EXIT_INVALID, StateCommand, load_config, report_errors};
use crate::app::{AppOptions, open_store};
use crate::mailbox::alfresco::renumber_generated_messages;

/// Runs a `state` subcommand.
pub fn run_state(command: &StateCommand) -> ExitCode {
    let StateCommand::Renumber(args) = command;
    let config = match load_config(&args.config) {
        Ok(config) => config,
        Err(errors) => {
            report_errors(&errors);
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    let outcome = runtime.block_on(async {
        let store = open_store(&config, crate::clock::system(), &AppOptions::default())
            .map_err(|e| e.to_string())?;
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
