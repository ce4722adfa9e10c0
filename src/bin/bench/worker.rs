//! Helper processes (the emulator and the sidecar) and the one-line-each-way protocol the
//! driver speaks with them over their standard input and output.
//!
//! A helper prints `READY key=value ...` once it is ready, then answers each request line
//! with one line: `OK key=value ...` or `ERR text`. `quit` makes it exit.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::error::{BenchError, Result};

/// Key/value pairs of a `READY` or `OK` line.
pub type Fields = BTreeMap<String, String>;

/// How to start a helper.
#[derive(Debug, Clone, Default)]
pub struct Launch {
    /// The CPUs to pin it to (`taskset -c`), if any.
    pub cpus: Option<String>,
    /// A program to run it under (valgrind), with its arguments.
    pub wrapper: Vec<String>,
    /// How long it may take to become ready.
    pub ready_within: Duration,
}

/// A running helper process.
pub struct Worker {
    name: String,
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    /// Its process id (the one `/proc` knows).
    pub pid: u32,
    /// What it said when it became ready.
    pub ready: Fields,
}

impl Worker {
    /// Starts this program in `role` with `arguments` and waits for its `READY` line.
    pub async fn start(role: &str, arguments: &[String], launch: &Launch) -> Result<Worker> {
        let exe = std::env::current_exe()?;
        let mut words: Vec<String> = Vec::new();
        if let Some(cpus) = &launch.cpus {
            words.extend(["taskset".into(), "-c".into(), cpus.clone()]);
        }
        words.extend(launch.wrapper.iter().cloned());
        words.push(exe.display().to_string());
        words.push(role.into());
        words.extend(arguments.iter().cloned());
        let mut command = Command::new(&words[0]);
        command
            .args(&words[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let mut child = command
            .spawn()
            .map_err(|e| BenchError::Worker(format!("cannot start {}: {e}", words[0])))?;
        let pid = child
            .id()
            .ok_or_else(|| BenchError::Worker(format!("{role} exited at once")))?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| BenchError::Worker("no stdin".into()))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| BenchError::Worker("no stdout".into()))?;
        let mut worker = Worker {
            name: role.trim_start_matches('_').to_owned(),
            child,
            stdin,
            stdout: BufReader::new(stdout).lines(),
            pid,
            ready: Fields::new(),
        };
        let line = tokio::time::timeout(launch.ready_within, worker.next_line())
            .await
            .map_err(|_| BenchError::Timeout(format!("{} did not become ready", worker.name)))??;
        let fields = line.strip_prefix("READY").ok_or_else(|| {
            BenchError::Worker(format!("{} said {line:?} instead of READY", worker.name))
        })?;
        worker.ready = parse_fields(fields);
        Ok(worker)
    }

    /// A field of the `READY` line.
    pub fn ready_field(&self, key: &str) -> Result<&str> {
        self.ready
            .get(key)
            .map(String::as_str)
            .ok_or_else(|| BenchError::Worker(format!("{} did not say {key}", self.name)))
    }

    /// Sends one request and reads its answer.
    pub async fn request(&mut self, line: &str) -> Result<Fields> {
        self.stdin.write_all(line.as_bytes()).await?;
        self.stdin.write_all(b"\n").await?;
        self.stdin.flush().await?;
        let answer = self.next_line().await?;
        match answer.strip_prefix("OK") {
            Some(rest) => Ok(parse_fields(rest)),
            None => Err(BenchError::Worker(format!(
                "{} answered {line:?} with {answer:?}",
                self.name
            ))),
        }
    }

    async fn next_line(&mut self) -> Result<String> {
        self.stdout
            .next_line()
            .await?
            .ok_or_else(|| BenchError::Worker(format!("{} exited", self.name)))
    }

    /// Asks the helper to exit and waits for it; kills it (by its own handle) if it does not.
    pub async fn stop(mut self) {
        let _ = self.stdin.write_all(b"quit\n").await;
        let _ = self.stdin.flush().await;
        if tokio::time::timeout(Duration::from_secs(60), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

/// Parses ` key=value key=value`.
pub fn parse_fields(text: &str) -> Fields {
    text.split_whitespace()
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Formats fields as ` key=value ...`.
pub fn format_fields<'a>(fields: impl IntoIterator<Item = (&'a str, String)>) -> String {
    fields
        .into_iter()
        .map(|(k, v)| format!(" {k}={v}"))
        .collect()
}

/// The loop of a helper: reads request lines from standard input and answers each with
/// `answer` (run on the helper's runtime) until `quit` or the end of input.
pub async fn serve_requests<F, Fut>(mut answer: F)
where
    F: FnMut(String) -> Fut,
    Fut: std::future::Future<Output = std::result::Result<String, String>>,
{
    let stdin = tokio::io::stdin();
    let mut lines = BufReader::new(stdin).lines();
    let mut stdout = tokio::io::stdout();
    while let Ok(Some(line)) = lines.next_line().await {
        let line = line.trim().to_owned();
        if line == "quit" {
            break;
        }
        let reply = match answer(line).await {
            Ok(fields) => format!("OK{fields}\n"),
            Err(error) => format!("ERR {}\n", error.replace('\n', " ")),
        };
        if stdout.write_all(reply.as_bytes()).await.is_err() || stdout.flush().await.is_err() {
            break;
        }
    }
}

/// Prints the `READY` line of a helper.
pub fn announce_ready(fields: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "READY{fields}");
    let _ = stdout.flush();
}
