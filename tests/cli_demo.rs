//! `alfresco-imap demo` as a newcomer runs it: it starts, prints where to connect (the banner
//! README.md shows), and serves IMAP on the emulated repository.

mod common;

use common::demo::{Demo, imap_session};

#[test]
fn demo_serves_alice() {
    let state = tempfile::tempdir().unwrap();
    let mut demo = Demo::start(state.path(), &[]);
    let banner = demo.banner();
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
