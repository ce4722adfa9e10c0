//! `alfresco-imap config`: print the effective configuration, or every problem with it.
//!
//! Output: every `imap.*`, `alfresco.*` and `share.*` key as `key=value`, sorted by key, secret
//! values masked, control characters written as `\t`, `\n`, `\r`, `\f` or `\uXXXX` so each key
//! stays on one line; then a blank line, a `#` heading and one line per mount point:
//! `id name mode store rootPath folderPath`, a field that is empty or holds spaces, quotes or
//! backslashes written in double quotes with `\"` and `\\`.

use std::fmt::Write;
use std::process::ExitCode;

use super::{ConfigArgs, EXIT_INVALID, load_config, report_errors};
use crate::config::{ImapConfig, RepositoryFolder, masked};

/// Runs `config`: prints the configuration (status 0) or its errors on stderr (status 2).
pub fn run_config(args: &ConfigArgs) -> ExitCode {
    match load_config(args) {
        Ok(config) => {
            for warning in config.warnings() {
                eprintln!("warning: {warning}");
            }
            print!("{}", render_effective_config(&config));
            ExitCode::SUCCESS
        }
        Err(errors) => {
            report_errors(&errors);
            ExitCode::from(EXIT_INVALID)
        }
    }
}

/// The text `config` prints for a valid configuration.
pub fn render_effective_config(config: &ImapConfig) -> String {
    let mut out = String::new();
    for (key, setting) in config.properties().iter() {
        if key.starts_with("imap.") || key.starts_with("alfresco.") || key.starts_with("share.") {
            let _ = writeln!(out, "{key}={}", one_line(&masked(key, &setting.value)));
        }
    }
    out.push_str("\n# mount points: id name mode store rootPath folderPath\n");
    for mount in &config.mount_points {
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
        if let Some(node_id) = resolved_node_id(&mount.folder) {
            let _ = write!(out, " {node_id}");
        }
        out.push('\n');
    }
    out
}

/// HOOK (node ids): the node id `folder` resolves to, for `config` to print after the paths.
///
/// Resolution needs the repository client: walk `folder.names` from `-root-` (known bootstrap
/// folders already mapped to their names) when the repository is reachable. Until that is wired
/// in, nothing is printed.
pub fn resolved_node_id(folder: &RepositoryFolder) -> Option<String> {
    let _ = folder;
    None
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
        let text = render_effective_config(&config(&[
            "imap.sidecar.tls.certificate=/etc/imap/cert.pem",
            "imap.sidecar.tls.key=/etc/imap/key.pem",
            "imap.sidecar.events.url=stomp://imap:hunter2@broker:61613",
            "db.password=alfresco",
        ]));
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
}
