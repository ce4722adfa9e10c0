//! `alfresco-imap demo` run as a newcomer runs it, as a child process on free ports: its
//! banner read from stdout, its stderr kept open for progress lines, and the process killed
//! (by its own PID) when the handle is dropped, even when a test fails.

use std::io::{BufRead, BufReader, Lines, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, ChildStderr, ChildStdout, Command, Stdio};
use std::time::Duration;

/// A running demo.
pub struct Demo {
    child: Child,
    stdout: Lines<BufReader<ChildStdout>>,
    /// The demo's stderr, line by line (progress and log lines).
    pub stderr: Lines<BufReader<ChildStderr>>,
}

/// What the demo printed on stdout until `Press Ctrl-C to stop.`.
pub struct Banner {
    /// The whole text.
    pub text: String,
    /// The plain IMAP port it names.
    pub imap_port: u16,
}

impl Demo {
    /// Starts `demo` with every port free (0), the state in `state`, `extra` arguments after
    /// those, a clean environment and `RUST_LOG=warn`.
    pub fn start(state: &Path, extra: &[&str]) -> Self {
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
            .arg("--state")
            .arg(state)
            .args(extra)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("demo starts");
        let stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let stderr = BufReader::new(child.stderr.take().expect("stderr")).lines();
        Self {
            child,
            stdout,
            stderr,
        }
    }

    /// Reads the banner: stdout up to and including the `Press Ctrl-C` line.
    pub fn banner(&mut self) -> Banner {
        let mut text = String::new();
        let mut imap_port = None;
        for line in self.stdout.by_ref() {
            let line = line.expect("stdout");
            text.push_str(&line);
            text.push('\n');
            if let Some(rest) = line.trim().strip_prefix("IMAP   127.0.0.1:") {
                imap_port = rest
                    .split_whitespace()
                    .next()
                    .and_then(|p| p.parse::<u16>().ok());
            }
            if line.starts_with("Press Ctrl-C") {
                break;
            }
        }
        let imap_port = imap_port.unwrap_or_else(|| panic!("no IMAP port in the banner:\n{text}"));
        Banner { text, imap_port }
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        // Kills exactly this child's PID.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends `commands` (ending with LOGOUT) to 127.0.0.1:`port` and returns everything the server
/// answered until it closed the connection (a 30-second guard against a hang).
pub fn imap_session(port: u16, commands: &[u8]) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    stream.write_all(commands).expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("answer");
    answer
}
