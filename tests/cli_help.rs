//! `alfresco-imap <command> --help` reads like a manual page for every subcommand: a
//! description paragraph, every option with its default and the property it overrides,
//! examples of that command, the files it uses and its exit statuses. The list of subcommands
//! checked is compared with the command line's own, so a new subcommand cannot go unchecked.

use std::process::Command;

use alfresco_imap::cli::Cli;
use clap::CommandFactory;

/// Every subcommand that runs something, as typed after `alfresco-imap`.
const SUBCOMMANDS: [&str; 8] = [
    "serve",
    "check",
    "provision-homes",
    "config",
    "emulator",
    "demo",
    "state renumber",
    "state migrate",
];

/// Subcommands that only group others.
const GROUPS: [&str; 1] = ["state"];

/// The leaf and group subcommands of the command line, as typed.
fn cli_subcommands() -> (Vec<String>, Vec<String>) {
    fn walk(
        command: &clap::Command,
        prefix: &str,
        leaves: &mut Vec<String>,
        groups: &mut Vec<String>,
    ) {
        for sub in command.get_subcommands() {
            let name = format!("{prefix}{}", sub.get_name());
            if sub.has_subcommands() {
                groups.push(name.clone());
                walk(sub, &format!("{name} "), leaves, groups);
            } else {
                leaves.push(name);
            }
        }
    }
    let (mut leaves, mut groups) = (Vec::new(), Vec::new());
    walk(&Cli::command(), "", &mut leaves, &mut groups);
    (leaves, groups)
}

/// The `--help` text of a subcommand.
fn help(path: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_alfresco-imap"))
        .args(path.split(' '))
        .arg("--help")
        .env_clear()
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(0), "{path} --help");
    assert!(output.stderr.is_empty(), "{path} --help wrote on stderr");
    String::from_utf8(output.stdout).expect("UTF-8 help")
}

/// The lines of the section that starts with the line `title`, up to the next line that is not
/// indented.
fn section<'a>(text: &'a str, title: &str) -> Vec<&'a str> {
    let mut lines = text.lines().skip_while(|line| *line != title);
    assert_eq!(lines.next(), Some(title), "no {title:?} section:\n{text}");
    lines
        .take_while(|line| line.is_empty() || line.starts_with(' '))
        .collect()
}

/// The options of an Options section: each option's header line (`  -D, --define <KEY=VALUE>`)
/// with the text below it.
fn options(lines: &[&str]) -> Vec<(String, String)> {
    let mut options: Vec<(String, String)> = Vec::new();
    for line in lines {
        let indent = line.len() - line.trim_start().len();
        if line.trim_start().starts_with('-') && indent < 10 {
            options.push((line.trim().to_string(), String::new()));
        } else if let Some((_, text)) = options.last_mut() {
            text.push_str(line.trim());
            text.push('\n');
        }
    }
    options
}

/// The long flag of an option header: `--define` of `-D, --define <KEY=VALUE>`.
fn long_flag(header: &str) -> String {
    header
        .split([' ', ','])
        .find(|word| word.starts_with("--"))
        .unwrap_or_else(|| panic!("no long flag in {header}"))
        .to_string()
}

#[test]
fn the_checked_subcommands_are_the_command_lines() {
    let (leaves, groups) = cli_subcommands();
    assert_eq!(leaves, SUBCOMMANDS);
    assert_eq!(groups, GROUPS);
}

#[test]
fn every_subcommand_has_a_manual_page() {
    for path in SUBCOMMANDS {
        let text = help(path);
        // The description: a paragraph of several sentences before the usage line.
        let (description, rest) = text
            .split_once("\n\nUsage: ")
            .unwrap_or_else(|| panic!("{path}: no usage line:\n{text}"));
        assert!(
            description.len() > 150
                && description
                    .split_whitespace()
                    .filter(|word| word.ends_with('.'))
                    .count()
                    >= 2,
            "{path}: the description is too thin:\n{description}"
        );
        assert!(
            rest.starts_with(&format!("alfresco-imap {path} ")),
            "{path}: {rest}"
        );

        // Every option, with its default and the property it overrides.
        let options = options(&section(&text, "Options:"));
        let command = path.split(' ').fold(Cli::command(), |command, name| {
            command.find_subcommand(name).expect("a subcommand").clone()
        });
        let mut expected: Vec<String> = command
            .get_arguments()
            .filter_map(|arg| arg.get_long().map(|long| format!("--{long}")))
            .chain(["--help".to_string(), "--version".to_string()])
            .collect();
        expected.sort();
        let mut listed: Vec<String> = options.iter().map(|(h, _)| long_flag(h)).collect();
        listed.sort();
        assert_eq!(listed, expected, "{path}: the options listed");
        for (header, text) in &options {
            if header.contains("--help") || header.contains("--version") {
                continue;
            }
            assert!(
                text.contains("[default: ") || text.contains("Default: "),
                "{path} {header}: no default:\n{text}"
            );
            assert!(
                text.contains("Property: "),
                "{path} {header}: no property:\n{text}"
            );
        }

        // Examples of this very command.
        let examples = section(&text, "EXAMPLES:");
        assert!(
            examples
                .iter()
                .any(|line| line.contains(&format!("alfresco-imap {path}"))),
            "{path}: no example runs it:\n{text}"
        );

        // The files it reads or writes.
        let files = section(&text, "FILES:");
        assert!(
            files.iter().any(|line| !line.trim().is_empty()),
            "{path}: FILES is empty"
        );

        // Its exit statuses.
        let exit: Vec<&str> = section(&text, "EXIT STATUS:")
            .iter()
            .map(|line| line.trim())
            .filter(|line| !line.is_empty())
            .collect();
        assert_eq!(
            exit,
            [
                "0  success",
                "1  the command failed at run time",
                "2  the command line or the configuration is invalid (one message per problem on stderr)"
            ],
            "{path}"
        );
    }
}

#[test]
fn groups_describe_themselves_and_list_their_commands() {
    for group in GROUPS {
        let text = help(group);
        let (description, _) = text.split_once("\n\nUsage: ").expect("a usage line");
        assert!(description.len() > 100, "{group}: {description}");
        let commands = section(&text, "Commands:");
        for path in SUBCOMMANDS {
            if let Some(name) = path.strip_prefix(&format!("{group} ")) {
                assert!(
                    commands
                        .iter()
                        .any(|line| line.trim_start().starts_with(name)),
                    "{group}: {name} not listed:\n{text}"
                );
            }
        }
    }
}
