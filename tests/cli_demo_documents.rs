//! `alfresco-imap demo --documents N`: progress on stderr while seeding, then the big folder
//! served with N messages.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

#[test]
fn demo_seeds_a_big_folder() {
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
        ])
        .args(["--documents", "20", "--state"])
        .arg(state.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("demo starts");
    // Kept open until the end, so the child never writes into a closed pipe.
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let progress: Vec<String> = stderr.by_ref().take(10).map(Result::unwrap).collect();
    let expected: Vec<String> = (1..=10)
        .map(|tenth| {
            format!(
                "seeding Sites/marketing/documentLibrary/Bulk: {}/20 documents",
                tenth * 2
            )
        })
        .collect();
    assert_eq!(progress, expected);

    let mut port = None;
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
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
    let mut stream = TcpStream::connect(("127.0.0.1", port.expect("the IMAP port"))).unwrap();
    stream
        .write_all(
            b"a LOGIN alice alice\r\n\
              b EXAMINE \"Alfresco IMAP/Sites/marketing/documentLibrary/Bulk\"\r\n\
              c LOGOUT\r\n",
        )
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    // Kills exactly this child's PID.
    child.kill().unwrap();
    let _ = child.wait();
    drop(stderr);
    assert!(answer.contains("* 20 EXISTS\r\n"), "{answer}");
    assert!(answer.ends_with("c OK LOGOUT completed\r\n"), "{answer}");
}
