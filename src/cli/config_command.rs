//! `alfresco-imap config`: print the effective configuration, or every problem with it.
//!
//! Output: every `imap.*`, `alfresco.*` and `share.*` key as `key=value`, sorted by key, secret
//! values masked, control characters written as `\t`, `\n`, `\r`, `\f` or `\uXXXX` so each key
//! stays on one line; then a blank line, a `#` heading and one line per mount point:
//! `id name mode store rootPath folderPath`, a field that is empty or holds spaces, quotes or
//! backslashes written in double quotes with `\"` and `\\`.
//!
//! With `--resolve-as USER` each mount-point line ends with one more field: the folder's node id
//! as that user sees it, or `unresolved: <reason>` (the rest of the line). The password comes
//! from [`PASSWORD_VARIABLE`] or the file named by `ALFRESCO_IMAP_PASSWORD_FILE`, never from
//! the command line. Without `--resolve-as` nothing is sent to the repository.

use std::fmt::Write;
use std::process::ExitCode;

use super::repository::ready_client;
use super::{ConfigCommandArgs, EXIT_FAILURE, EXIT_INVALID, load_config, report_errors, runtime};
use crate::alfresco::{Password, resolve_folder};
use crate::config::{FILE_SUFFIX, ImapConfig, masked, strip_trailing_newline};

/// The environment variable that holds the `--resolve-as` user's password.
pub const PASSWORD_VARIABLE: &str = "ALFRESCO_IMAP_PASSWORD";

/// What `--resolve-as` found for one mount point: the folder's node id, or why there is none.
pub type FolderResolution = Result<String, String>;

/// Runs `config`: prints the configuration (status 0) or its errors on stderr (status 2); with
/// `--resolve-as`, status 1 when a mount point is unresolved.
pub fn run_config(args: &ConfigCommandArgs) -> ExitCode {
    let config = match load_config(&args.config) {
        Ok(config) => config,
        Err(errors) => {
            report_errors(&errors);
            return ExitCode::from(EXIT_INVALID);
        }
    };
    for warning in config.warnings() {
        eprintln!("warning: {warning}");
    }
    let Some(user) = &args.resolve_as else {
        print!("{}", render_effective_config(&config, None));
        return ExitCode::SUCCESS;
    };
    let password = match password_from_environment() {
        Ok(password) => password,
        Err(message) => {
            eprintln!("error: --resolve-as: {message}");
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let resolutions = match runtime() {
        Ok(runtime) => runtime.block_on(resolve_mount_points(&config, user, password)),
        Err(error) => {
            vec![Err(format!("cannot start the async runtime: {error}")); config.mount_points.len()]
        }
    };
    print!("{}", render_effective_config(&config, Some(&resolutions)));
    if resolutions.iter().all(Result::is_ok) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILURE)
    }
}

/// The `--resolve-as` password: [`PASSWORD_VARIABLE`], or the file named by the same name with
/// `_FILE` appended (one trailing line end removed); setting both, or neither, is an error.
fn password_from_environment() -> Result<Password, String> {
    let file_variable = format!("{PASSWORD_VARIABLE}{FILE_SUFFIX}");
    let direct = std::env::var_os(PASSWORD_VARIABLE);
    let file = std::env::var_os(&file_variable);
    match (direct, file) {
        (Some(_), Some(_)) => Err(format!(
            "set {PASSWORD_VARIABLE} or {file_variable}, not both"
        )),
        (None, None) => Err(format!(
            "the password is read from {PASSWORD_VARIABLE} or from the file named by \
             {file_variable}; neither is set"
        )),
        (Some(value), None) => value
            .into_string()
            .map(Password::new)
            .map_err(|_| format!("{PASSWORD_VARIABLE} is not valid UTF-8")),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(&path).map_err(|error| {
                format!(
                    "cannot read {} (named by {file_variable}): {error}",
                    path.to_string_lossy()
                )
            })?;
            Ok(Password::new(strip_trailing_newline(&text)))
        }
    }
}

/// Logs `user` in and resolves every mount point's folder, in configuration order.
async fn resolve_mount_points(
    config: &ImapConfig,
    user: &str,
    password: Password,
) -> Vec<FolderResolution> {
    let everywhere = |reason: String| vec![Err(reason); config.mount_points.len()];
    let client = match ready_client(config).await {
        Ok(client) => client,
        Err(error) => return everywhere(error.to_string()),
    };
    let session = match client.login(user, password).await {
        Ok(session) => session,
        Err(error) => return everywhere(format!("cannot log in as {user}: {error}")),
    };
    let mut resolutions = Vec::with_capacity(config.mount_points.len());
    for mount in &config.mount_points {
        let resolved = resolve_folder(&session, &mount.folder).await;
        resolutions.push(resolved.map_err(|error| error.to_string()));
    }
    resolutions
}

/// The text `config` prints for a valid configuration; `resolutions`, one per mount point in
/// order, adds the node id (or `unresolved: <reason>`) to each mount-point line.
pub fn render_effective_config(
    config: &ImapConfig,
    resolutions: Option<&[FolderResolution]>,
) -> String {
    let mut out = String::new();
    for (key, setting) in config.properties().iter() {
        if key.starts_with("imap.") || key.starts_with("alfresco.") || key.starts_with("share.") {
            let _ = writeln!(out, "{key}={}", one_line(&masked(key, &setting.value)));
        }
    }
    out.push_str("\n# mount points: id name mode store rootPath folderPath");
    if resolutions.is_some() {
        out.push_str(" nodeId");
    }
    out.push('\n');
    for (index, mount) in config.mount_points.iter().enumerate() {
        let _ = write!(
            out,
            "{} {} {} {} {} {}",
            field(&mount.id),
            field(&mount.name),
            mount.mode,
            mount.folder.store(),
            field(&mount.folder.root_path.text),
            field(&mount.folder.folder_path.text),
        );
        match resolutions.map(|all| all.get(index)) {
            None => {}
            Some(Some(Ok(node_id))) => {
                let _ = write!(out, " {}", field(node_id));
            }
            Some(Some(Err(reason))) => {
                let _ = write!(out, " unresolved: {}", one_line(reason));
            }
            Some(None) => out.push_str(" unresolved: not looked up"),
        }
        out.push('\n');
    }
    out
}

/// Escapes control characters so a value stays on one line.
fn one_line(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        push_escaped(&mut out, c);
    }
    out
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\x0c' => out.push_str("\\f"),
        c if c.is_control() => {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        }
        c => out.push(c),
    }
}

/// A mount-point field: bare when safe, otherwise double-quoted with `\"` and `\\`.
fn field(text: &str) -> String {
    let plain = !text.is_empty()
        && !text
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '\\');
    if plain {
        return text.to_string();
    }
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => push_escaped(&mut out, c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ConfigSources;

    fn config(defines: &[&str]) -> ImapConfig {
        ImapConfig::load(&ConfigSources {
            defines: defines.iter().map(|d| d.to_string()).collect(),
            local_name: Some("mailhost".into()),
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn fields_are_quoted_when_needed() {
        assert_eq!(field("AlfrescoIMAP"), "AlfrescoIMAP");
        assert_eq!(field("Alfresco IMAP"), "\"Alfresco IMAP\"");
        assert_eq!(field(""), "\"\"");
        assert_eq!(field("a\"b"), "\"a\\\"b\"");
        assert_eq!(field("a\\b"), "\"a\\\\b\"");
        assert_eq!(field("a\tb"), "\"a\\tb\"");
        assert_eq!(one_line("a\nb\u{1}"), "a\\nb\\u0001");
    }

    #[test]
    fn prints_sorted_keys_masked_secrets_and_mount_points() {
        let text = render_effective_config(
            &config(&[
                "imap.sidecar.tls.certificate=/etc/imap/cert.pem",
                "imap.sidecar.tls.key=/etc/imap/key.pem",
                "imap.sidecar.events.url=stomp://imap:hunter2@broker:61613",
                "db.password=alfresco",
            ]),
            None,
        );
        assert!(!text.contains("hunter2"));
        assert!(!text.contains("key.pem"));
        assert!(!text.contains("db.password"));
        assert!(!text.contains("spaces.store"));
        assert!(text.contains("\nimap.sidecar.tls.key=****\n"));
        assert!(text.contains("\nimap.sidecar.events.url=stomp://imap:****@broker:61613\n"));
        assert!(text.contains("\nimap.sidecar.tls.certificate=/etc/imap/cert.pem\n"));
        assert!(text.starts_with("alfresco.context=alfresco\nalfresco.host=mailhost\n"));
        assert!(text.ends_with(
            "\n\n# mount points: id name mode store rootPath folderPath\n\
             AlfrescoIMAP \"Alfresco IMAP\" MIXED workspace://SpacesStore /app:company_home \"\"\n"
        ));
        let keys: Vec<&str> = text
            .lines()
            .take_while(|l| !l.is_empty())
            .map(|l| l.split_once('=').unwrap().0)
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        assert!(keys.contains(&"imap.server.enabled"));
        assert!(keys.contains(&"share.context"));
    }

    #[test]
    fn node_ids_and_reasons_end_the_mount_point_lines() {
        let config = config(&[
            "imap.config.server.mountPoints=A,B,C",
            "imap.config.server.mountPoints.value.A.mountPointName=Docs",
            "imap.config.server.mountPoints.value.B.mountPointName=Mail",
            "imap.config.server.mountPoints.value.C.mountPointName=Site",
        ]);
        let resolutions = [
            Ok("33862ce0-3339-403d-b388-cc672184278f".to_string()),
            Err(
                "the repository at http://mailhost:8080/alfresco/ cannot be reached:\nrefused"
                    .to_string(),
            ),
        ];
        let text = render_effective_config(&config, Some(&resolutions));
        assert!(text.ends_with(
            "\n\n# mount points: id name mode store rootPath folderPath nodeId\n\
             A Docs ARCHIVE workspace://SpacesStore /app:company_home \"\" \
             33862ce0-3339-403d-b388-cc672184278f\n\
             B Mail ARCHIVE workspace://SpacesStore /app:company_home \"\" unresolved: the \
             repository at http://mailhost:8080/alfresco/ cannot be reached:\\nrefused\n\
             C Site ARCHIVE workspace://SpacesStore /app:company_home \"\" unresolved: not looked \
             up\n"
        ));
    }
}
