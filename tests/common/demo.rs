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

/// The port after `prefix` on the line that starts with it (leading blanks ignored).
fn port_after(text: &str, prefix: &str) -> Option<u16> {
    text.lines()
        .find_map(|line| line.trim().strip_prefix(prefix))
        .and_then(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
}

impl Banner {
    /// The text as with the default ports (REST 8080, IMAP 1143, IMAPS 1993), which is how
    /// README.md shows it; the demo in tests runs on free ports.
    pub fn with_default_ports(&self) -> String {
        let mut text = self.text.clone();
        for (prefix, default) in [
            ("REST   http://127.0.0.1:", "8080"),
            ("IMAPS  127.0.0.1:", "1993"),
            ("IMAP   127.0.0.1:", "1143"),
        ] {
            let port = port_after(&self.text, prefix)
                .unwrap_or_else(|| panic!("no {prefix:?} line in:\n{}", self.text));
            text = text
                .replace(&format!(":{port}"), &format!(":{default}"))
                .replace(&format!("port {port}"), &format!("port {default}"));
        }
        text
    }
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
        for line in self.stdout.by_ref() {
            let line = line.expect("stdout");
            text.push_str(&line);
            text.push('\n');
            if line.starts_with("Press Ctrl-C") {
                break;
            }
        }
        let imap_port = port_after(&text, "IMAP   127.0.0.1:")
            .unwrap_or_else(|| panic!("no IMAP port in the banner:\n{text}"));
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
