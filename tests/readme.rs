//! The README against the code: its configuration reference is exactly the table generated from
//! `subsystem-properties/imap-server.properties` (every key with its default and the comment above
//! it), and it keeps the two set-up commands a newcomer needs.

use std::path::Path;

const START: &str = "<!-- config-reference:start -->\n";
const END: &str = "<!-- config-reference:end -->";

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// The reference table: one row per key, its default (`(empty)` when empty) and the comment
/// lines above it (`See the key above.` for a key without its own comment).
fn reference_table(properties: &str) -> String {
    let mut rows = vec![
        "| Key | Default | Meaning |".to_string(),
        "|---|---|---|".to_string(),
    ];
    let mut comment: Vec<&str> = Vec::new();
    for line in properties.lines() {
        if let Some(text) = line.strip_prefix('#') {
            let text = text.trim();
            if text.starts_with("---") {
                comment.clear();
            } else if !text.is_empty() {
                comment.push(text);
            }
        } else if line.trim().is_empty() {
            comment.clear();
        } else {
            let (key, value) = line.split_once('=').expect("key=value");
            let default = if value.is_empty() {
                "(empty)".to_string()
            } else {
                format!("`{value}`")
            };
            let mut meaning = comment.join(" ").replace('|', "\\|");
            if meaning.is_empty() {
                meaning = "See the key above.".to_string();
            }
            rows.push(format!("| `{key}` | {default} | {meaning} |"));
            comment.clear();
        }
    }
    rows.join("\n") + "\n"
}

#[test]
fn configuration_reference_matches_the_properties_file() {
    let readme = read("README.md");
    let expected = reference_table(&read("subsystem-properties/imap-server.properties"));
    let start = readme
        .find(START)
        .expect("the config-reference start marker")
        + START.len();
    let end = readme[start..].find(END).expect("the end marker") + start;
    let actual = &readme[start..end];
    assert!(
        actual == expected,
        "README.md's configuration reference is out of date; replace the lines between the \
         markers with:\n{expected}"
    );
}

#[test]
fn every_key_appears_once_with_its_default() {
    let readme = read("README.md");
    let properties = read("subsystem-properties/imap-server.properties");
    for line in properties.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (key, _) = line.split_once('=').unwrap();
        assert_eq!(
            readme.matches(&format!("| `{key}` |")).count(),
            1,
            "{key} in the README table"
        );
    }
}

#[test]
fn a_newcomer_needs_two_commands() {
    let readme = read("README.md");
    let quick_start = readme
        .split("## Quick start")
        .nth(1)
        .and_then(|rest| rest.split("```sh\n").nth(1))
        .and_then(|block| block.split("```").next())
        .expect("a sh block in the quick start");
    let commands: Vec<&str> = quick_start
        .lines()
        .map(|l| l.split('#').next().unwrap().trim())
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(commands, vec!["cargo run --release -- demo", "cargo test"]);
}
