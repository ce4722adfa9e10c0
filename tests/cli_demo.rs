//! `alfresco-imap demo` as a newcomer runs it: it starts, prints where to connect, and serves
//! IMAP on the emulated repository.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn demo_serves_alice() {
    let state = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_alfresco-imap"))
        .args([
            "demo",
            "--rest-port",
            "0",
            "--imap-port",
            "0",
            "--imaps-port",
            "0",
            "--state",
        ])
        .arg(state.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("demo starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut port = None;
    let mut banner = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        banner.push_str(&line);
        banner.push('\n');
        if let Some(rest) = line.trim().strip_prefix("IMAP   127.0.0.1:") {
            port = rest
                .split_whitespace()
                .next()
                .and_then(|p| p.parse::<u16>().ok());
        }
        if line.starts_with("Press Ctrl-C") {
            break;
        }
    }
    let port = port.unwrap_or_else(|| panic!("no IMAP port in the banner:\n{banner}"));
    assert!(
        banner.contains("Users (the password is the user name): alice, bob, admin"),
        "{banner}"
    );
    assert!(banner.contains("SHA-256 "), "{banner}");

    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream
        .write_all(b"a LOGIN alice alice\r\nb SELECT INBOX\r\nc LOGOUT\r\n")
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    child.kill().unwrap();
    let _ = child.wait();
    assert!(answer.contains("a OK [CAPABILITY "), "{answer}");
    assert!(answer.contains("* 6 EXISTS\r\n"), "{answer}");
    assert!(
        answer.contains("b OK [READ-WRITE] SELECT completed\r\n"),
        "{answer}"
    );
    assert!(answer.ends_with("c OK LOGOUT completed\r\n"), "{answer}");
}
