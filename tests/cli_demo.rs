//! `alfresco-imap demo` as a newcomer runs it: it starts, prints where to connect (exactly the
//! banner README.md shows, but for the ports and what differs from run to run), and serves IMAP
//! on the emulated repository.

mod common;

use std::path::Path;

use common::demo::{Demo, imap_session};

/// The banner README.md shows, between its markers, without the code fence.
fn documented_banner() -> String {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let start = readme
        .find("<!-- demo-banner:start -->\n```\n")
        .expect("the demo-banner start marker")
        + "<!-- demo-banner:start -->\n```\n".len();
    let end = readme[start..]
        .find("```\n<!-- demo-banner:end -->")
        .expect("the end marker")
        + start;
    readme[start..end].to_string()
}

/// Whether `line` is `pattern`, where each `…` in the pattern stands for any text.
fn matches(pattern: &str, line: &str) -> bool {
    let parts: Vec<&str> = pattern.split('…').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if parts.len() == 1 {
        return line == pattern;
    }
    let Some(mut rest) = line.strip_prefix(first) else {
        return false;
    };
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[test]
fn demo_serves_alice() {
    let state = tempfile::tempdir().unwrap();
    let mut demo = Demo::start(state.path(), &[]);
    let banner = demo.banner();
    let documented = documented_banner();
    let printed = banner.with_default_ports();
    assert_eq!(
        documented.lines().count(),
        printed.lines().count(),
        "README.md shows another banner than demo prints:\n{printed}"
    );
    for (pattern, line) in documented.lines().zip(printed.lines()) {
        assert!(
            matches(pattern, line),
            "README.md: {pattern:?}\ndemo:      {line:?}"
        );
    }
    let (banner, port) = (banner.text, banner.imap_port);
    assert!(
        banner.contains("Users (the password is the user name): alice, bob, admin"),
        "{banner}"
    );
    assert!(banner.contains("SHA-256 "), "{banner}");

    let answer = imap_session(
        port,
        b"a LOGIN alice alice\r\nb SELECT INBOX\r\nc LOGOUT\r\n",
    );
    drop(demo);
    assert!(answer.contains("a OK [CAPABILITY "), "{answer}");
    assert!(answer.contains("* 6 EXISTS\r\n"), "{answer}");
    assert!(
        answer.contains("b OK [READ-WRITE] SELECT completed\r\n"),
        "{answer}"
    );
    assert!(answer.ends_with("c OK LOGOUT completed\r\n"), "{answer}");
}
