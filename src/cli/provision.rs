//! `alfresco-imap provision-homes`: creates the IMAP homes of the named users (or of every
//! person) as an administrator, for repositories where users may not create their own. The
//! administrator's password is read for this run only; the long-running server never holds it.
//! Prints one line per user; status 0 when every home is ready, 1 when one was left alone or
//! failed, 2 for an invalid command line or configuration.

use std::fmt::Write;
use std::process::ExitCode;
use std::sync::Arc;

use super::repository::ready_client;
use super::{EXIT_FAILURE, EXIT_INVALID, ProvisionArgs, load_config, report_errors, runtime};
use crate::alfresco::{Password, RepoSession};
use crate::config::ImapConfig;
use crate::mailbox::alfresco::{
    AlfrescoBackend, BackendSettings, ProvisionReport, provision_homes,
};
use crate::state::sqlite::SqliteStore;

/// People read per page with `--all`.
const PEOPLE_PAGE: u32 = 100;

/// The built-in account that never logs in over IMAP, left out of `--all`.
const GUEST: &str = "guest";

/// Runs `provision-homes` and prints its report on stdout.
pub fn run_provision(args: &ProvisionArgs) -> ExitCode {
    let config = match load_config(&args.config) {
        Ok(config) => config,
        Err(errors) => {
            report_errors(&errors);
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let password = match admin_password(args) {
        Ok(password) => password,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    match runtime.block_on(provision(&config, args, password)) {
        Ok((report, clean)) => {
            print!("{report}");
            if clean {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_FAILURE)
            }
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

/// The password from the file (its first line) or from the option or variable.
fn admin_password(args: &ProvisionArgs) -> Result<Password, String> {
    if let Some(path) = &args.admin_password_file {
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        let line = text.lines().next().unwrap_or_default();
        return Ok(Password::new(line.to_owned()));
    }
    args.admin_password
        .clone()
        .map(Password::new)
        .ok_or_else(|| {
            format!(
                "no password for {}: give --admin-password-file, --admin-password or set \
             ALFRESCO_IMAP_ADMIN_PASSWORD",
                args.admin
            )
        })
}

/// Logs in, works out the users and provisions them; returns the report and whether every home
/// is ready.
async fn provision(
    config: &ImapConfig,
    args: &ProvisionArgs,
    password: Password,
) -> Result<(String, bool), String> {
    let client = ready_client(config).await.map_err(|e| e.to_string())?;
    let admin = client
        .login(&args.admin, password)
        .await
        .map_err(|error| format!("cannot log in as {}: {error}", args.admin))?;
    let users = if args.all {
        every_person(&admin).await?
    } else {
        args.users.clone()
    };
    // The homes are made over REST only; no UID is handed out, so no state store is kept.
    let store = SqliteStore::open_in_memory(crate::clock::system()).map_err(|e| e.to_string())?;
    let backend = AlfrescoBackend::new(
        client,
        BackendSettings::from_config(config),
        crate::clock::system(),
        Arc::new(store),
    );
    let report = provision_homes(&backend, &admin, &users)
        .await
        .map_err(|error| format!("cannot reach the IMAP home root: {error}"))?;
    Ok((
        render(&report),
        report.unsafe_homes.is_empty() && report.failed.is_empty(),
    ))
}

/// Every person's id except the guest account.
async fn every_person(admin: &RepoSession) -> Result<Vec<String>, String> {
    let people = admin
        .all_people(PEOPLE_PAGE)
        .await
        .map_err(|error| format!("cannot list the people of the repository: {error}"))?;
    Ok(people
        .items
        .into_iter()
        .map(|person| person.id)
        .filter(|id| !id.eq_ignore_ascii_case(GUEST))
        .collect())
}

/// One line per user, then a count.
fn render(report: &ProvisionReport) -> String {
    let mut out = String::new();
    for user in &report.created {
        let _ = writeln!(out, "created  {user}");
    }
    for user in &report.existing {
        let _ = writeln!(out, "ok       {user} (already private)");
    }
    for (user, reason) in &report.unsafe_homes {
        let _ = writeln!(
            out,
            "PROBLEM  {user}: {reason}\n         fix: make the home private (inheritance off, \
             only {user} and administrators) or remove it, then run this again"
        );
    }
    for (user, reason) in &report.failed {
        let _ = writeln!(out, "PROBLEM  {user}: {reason}");
    }
    let _ = writeln!(
        out,
        "{} created, {} already private, {} problem(s)",
        report.created.len(),
        report.existing.len(),
        report.unsafe_homes.len() + report.failed.len()
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_names_every_user() {
        let report = ProvisionReport {
            created: vec!["dave".into()],
            existing: vec!["alice".into()],
            unsafe_homes: vec![("bob".into(), "inherits permissions".into())],
            failed: vec![],
        };
        assert_eq!(
            render(&report),
            "created  dave\n\
             ok       alice (already private)\n\
             PROBLEM  bob: inherits permissions\n         fix: make the home private \
             (inheritance off, only bob and administrators) or remove it, then run this again\n\
             1 created, 1 already private, 1 problem(s)\n"
        );
    }
}
