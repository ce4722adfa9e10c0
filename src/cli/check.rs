//! `alfresco-imap check`: loads the configuration, logs in as a test user, resolves every folder
//! the configuration names (each mount point, the IMAP home root, the COMMON attachments folder
//! when used, and the repository's IMAP templates folder) and prints one line per item with what
//! to do about a problem. Status 0 when everything resolves, 1 otherwise, 2 for invalid
//! configuration.

use std::fmt::Write;
use std::process::ExitCode;

use super::repository::ready_client;
use super::{CheckArgs, EXIT_FAILURE, EXIT_INVALID, load_config, report_errors, runtime};
use crate::alfresco::{Password, RepoSession, resolve_folder};
use crate::config::{AttachmentsMode, ImapConfig, RepositoryFolder, RepositoryPath};

/// Alfresco's folder of IMAP templates, below Company Home.
pub const TEMPLATES_PATH: &str =
    "/app:company_home/app:dictionary/app:imap_configs/app:imap_templates";

/// Runs `check` and prints the report on stdout.
pub fn run_check(args: &CheckArgs) -> ExitCode {
    let config = match load_config(&args.config) {
        Ok(config) => config,
        Err(errors) => {
            report_errors(&errors);
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let Some(password) = args.password.clone() else {
        eprintln!(
            "error: no password for {}: give --password or set ALFRESCO_IMAP_PASSWORD",
            args.user
        );
        return ExitCode::from(EXIT_INVALID);
    };
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    let (report, problems) = runtime.block_on(check(&config, &args.user, Password::new(password)));
    print!("{report}");
    if problems == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILURE)
    }
}

/// Builds the report and counts the problems in it.
pub async fn check(config: &ImapConfig, user: &str, password: Password) -> (String, usize) {
    let mut out = String::new();
    let mut problems = 0;
    for warning in config.warnings() {
        let _ = writeln!(out, "warning  {warning}");
    }
    let _ = writeln!(
        out,
        "ok       configuration: {} mount point(s)",
        config.mount_points.len()
    );
    let url = &config.repository.base_url;
    let client = match ready_client(config).await {
        Ok(client) => {
            let _ = writeln!(out, "ok       repository {url} is ready");
            client
        }
        Err(error) => {
            let _ = writeln!(
                out,
                "PROBLEM  {error}\n         fix: check alfresco.protocol, alfresco.host, \
                 alfresco.port and alfresco.context, and that the repository is running"
            );
            return (out, 1);
        }
    };
    let session = match client.login(user, password).await {
        Ok(session) => {
            let _ = writeln!(out, "ok       logged in as {user}");
            session
        }
        Err(error) => {
            let _ = writeln!(
                out,
                "PROBLEM  cannot log in as {user}: {error}\n         fix: check the user name \
                 and password (--user, --password or ALFRESCO_IMAP_PASSWORD)"
            );
            return (out, 1);
        }
    };
    for mount in &config.mount_points {
        let label = format!(
            "mount point {} ({:?}, {})",
            mount.id, mount.name, mount.mode
        );
        problems += item(&mut out, &session, &label, &mount.folder, true).await;
    }
    problems += item(
        &mut out,
        &session,
        "IMAP home root",
        &config.home.folder,
        true,
    )
    .await;
    if config.attachments.mode == AttachmentsMode::Common {
        let label = "attachments folder (imap.attachments.mode=COMMON)";
        problems += item(&mut out, &session, label, &config.attachments.folder, true).await;
    }
    match templates_folder() {
        Some(folder) => {
            let label = "IMAP templates folder";
            problems += item(&mut out, &session, label, &folder, false).await;
        }
        None => {
            let _ = writeln!(
                out,
                "PROBLEM  the templates path {TEMPLATES_PATH} does not parse"
            );
            problems += 1;
        }
    }
    let _ = writeln!(
        out,
        "{} problem(s)",
        if problems == 0 {
            "no".to_string()
        } else {
            problems.to_string()
        }
    );
    (out, problems)
}

/// Resolves one folder and writes its line; returns 1 for a problem, 0 otherwise. A folder that
/// is not `required` only warns when missing.
async fn item(
    out: &mut String,
    session: &RepoSession,
    label: &str,
    folder: &RepositoryFolder,
    required: bool,
) -> usize {
    match resolve_folder(session, folder).await {
        Ok(node_id) => {
            let _ = writeln!(out, "ok       {label}: node {node_id}");
            0
        }
        Err(error) if required => {
            let _ = writeln!(
                out,
                "PROBLEM  {label}: {error}\n         fix: correct the path in the configuration, \
                 create the folder, or give the user read access to it"
            );
            1
        }
        Err(error) => {
            let _ = writeln!(
                out,
                "warning  {label}: {error}; the server's own templates \
                 (imap.sidecar.templates.dir) are used"
            );
            0
        }
    }
}

/// Alfresco's IMAP templates folder as a [`RepositoryFolder`].
fn templates_folder() -> Option<RepositoryFolder> {
    Some(RepositoryFolder {
        root_path: RepositoryPath::parse_absolute(TEMPLATES_PATH).ok()?,
        folder_path: RepositoryPath::default(),
        names: ["Data Dictionary", "Imap Configs", "Templates"]
            .map(String::from)
            .to_vec(),
    })
}
