//! The test users' credentials, and a scanner that looks for them in log files: passwords (in
//! clear where they cannot be mistaken for a user name, and in the forms that carry them: a
//! `LOGIN` line, a JSON or form field, the SASL PLAIN and HTTP Basic encodings), and every
//! ticket or bearer token the emulator hands out (recognised by their shape, so tickets made
//! during the run are found without being listed).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The demo seed's users (their password is their name) and the users and passwords the
/// suites create or set.
pub const CREDENTIALS: &[(&str, &str)] = &[
    ("alice", "alice"),
    ("bob", "bob"),
    ("carol", "carol"),
    ("dave", "dave"),
    ("mallory", "mallory"),
    ("alice", "Alice-pw-9f3b1c7e"),
    ("alice", "Alice-pw-WRONG-4c1a"),
    ("bob", "Bob-pw-77e2aa41"),
    ("carol", "Carol-pw-0d5e9b22"),
    ("carol", "Carol-new-pw-61aa"),
    ("dave", "Dave-right-5e1"),
    ("erin", "Erin-right-8b2"),
];

/// Passwords distinctive enough to look for on their own, whatever surrounds them.
pub const DISTINCT_PASSWORDS: &[&str] = &[
    "Alice-pw-9f3b1c7e",
    "Alice-pw-WRONG-4c1a",
    "Bob-pw-77e2aa41",
    "Carol-pw-0d5e9b22",
    "Carol-new-pw-61aa",
    "Dave-right-5e1",
    "Dave-wrong-",
    "Erin-right-8b2",
    "Guess-pw-3",
    // security_faults's load users: pw-load0 ...
    "pw-load",
];

/// One thing that must never be logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secret {
    /// The exact text.
    pub text: String,
    /// What it is (for the report).
    pub what: String,
}

fn secret(text: String, what: impl Into<String>) -> Secret {
    Secret {
        text,
        what: what.into(),
    }
}

/// The literal secrets of [`CREDENTIALS`] and [`DISTINCT_PASSWORDS`], in every form a
/// credential crosses the product in.
pub fn test_secrets() -> Vec<Secret> {
    let mut secrets = Vec::new();
    for password in DISTINCT_PASSWORDS {
        secrets.push(secret((*password).into(), "a test password"));
    }
    for (user, password) in CREDENTIALS {
        let who = format!("{user}'s password");
        secrets.push(secret(format!("LOGIN {user} {password}"), &who));
        secrets.push(secret(format!("LOGIN {user} \"{password}\""), &who));
        secrets.push(secret(format!("\"password\":\"{password}\""), &who));
        secrets.push(secret(format!("\"password\": \"{password}\""), &who));
        secrets.push(secret(format!("password={password}"), &who));
        secrets.push(secret(format!("password: {password:?}"), &who));
        secrets.push(secret(
            STANDARD.encode(format!("{user}:{password}")),
            format!("{who} (HTTP Basic)"),
        ));
        secrets.push(secret(
            STANDARD.encode(format!("\0{user}\0{password}")),
            format!("{who} (SASL PLAIN)"),
        ));
    }
    secrets
}

/// Whether `text` at `at` starts with at least `len` characters accepted by `accept`.
fn run_of(text: &str, at: usize, len: usize, accept: impl Fn(u8) -> bool) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= at + len && bytes[at..at + len].iter().all(|b| accept(*b))
}

fn lower_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
}

fn base64_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}

/// The leading base64 characters that `prefix` alone decides.
fn encoded_prefix(prefix: &str) -> String {
    let full = STANDARD.encode(prefix);
    full[..prefix.len() * 8 / 6].to_owned()
}

/// The emulator's tickets (`TICKET_` and 40 hex digits) and bearer tokens (`eyJ` and 40 hex
/// digits), in clear and in the base64 forms an `Authorization` header carries them in.
fn shaped_secrets(line: &str) -> Vec<&'static str> {
    let mut found = Vec::new();
    let shapes: [(&str, &'static str); 2] = [("TICKET_", "a ticket"), ("eyJ", "a bearer token")];
    for (prefix, what) in shapes {
        if line
            .match_indices(prefix)
            .any(|(at, _)| run_of(line, at + prefix.len(), 40, lower_hex))
        {
            found.push(what);
        }
    }
    for prefix in ["TICKET_", ":TICKET_", "ROLE_TICKET:TICKET_"] {
        let encoded = encoded_prefix(prefix);
        if line
            .match_indices(&encoded)
            .any(|(at, _)| run_of(line, at + encoded.len(), 48, base64_char))
        {
            found.push("a ticket (base64)");
        }
    }
    found
}

/// A secret found in a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The file.
    pub file: PathBuf,
    /// The line number (1-based).
    pub line: usize,
    /// What was found.
    pub what: String,
    /// The start of the line.
    pub excerpt: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file.display(),
            self.line,
            self.what,
            self.excerpt
        )
    }
}

/// Every line of `text` that holds one of `secrets`, a ticket or a bearer token.
pub fn scan_text(file: &Path, text: &str, secrets: &[Secret]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut what: Vec<String> = secrets
            .iter()
            .filter(|s| line.contains(s.text.as_str()))
            .map(|s| s.what.clone())
            .collect();
        what.extend(shaped_secrets(line).into_iter().map(String::from));
        what.dedup();
        if !what.is_empty() {
            findings.push(Finding {
                file: file.to_path_buf(),
                line: n + 1,
                what: what.join(", "),
                excerpt: line.chars().take(300).collect(),
            });
        }
    }
    findings
}

/// What a scan of a directory looked at and found.
#[derive(Debug, Default)]
pub struct Scan {
    /// Files read.
    pub files: usize,
    /// Bytes read.
    pub bytes: u64,
    /// Lines read.
    pub lines: usize,
    /// Secrets found.
    pub findings: Vec<Finding>,
}

/// Scans every `*.log` file in `dir` modified at or after `since` (all when `None`).
pub fn scan_dir(dir: &Path, since: Option<SystemTime>, secrets: &[Secret]) -> Scan {
    let mut scan = Scan::default();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return scan;
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| {
            let modified = e.metadata().and_then(|m| m.modified()).ok();
            match (since, modified) {
                (Some(since), Some(modified)) => modified >= since,
                _ => true,
            }
        })
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect();
    paths.sort();
    for path in paths {
        let text = super::logs::read(&path);
        scan.files += 1;
        scan.bytes += text.len() as u64;
        scan.lines += text.lines().count();
        scan.findings.extend(scan_text(&path, &text, secrets));
    }
    scan
}
