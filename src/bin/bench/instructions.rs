//! `bench instructions`: the sidecar's own cost per command as instruction counts (issue 7,
//! "callgrind for the single-session scenarios").
//!
//! The sidecar runs under `valgrind --tool=callgrind`; around each measured command the
//! driver zeroes callgrind's counters (`callgrind_control --zero`) and dumps them after the
//! tagged answer (`callgrind_control --dump`). The dump's `totals:` line is the number of
//! instructions the sidecar executed for that command, in all its threads. The sequence is
//! big-folder's: a cold first sync (empty caches and state store), a warm one in a second
//! session, a NOOP of the unchanged folder and a NOOP after one document changed. The dumps
//! stay in the directory printed, for `callgrind_annotate`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::client::Client;
use crate::emulator_role::PASSWORD;
use crate::error::{BenchError, Result, protocol};
use crate::report::Report;
use crate::scenario::{Sidecar, find_mailbox, quoted, start_emulator, words};

/// The commands measured, in order: (session, command); `LOGIN` stands for the login.
const SEQUENCE: &[(&str, &str)] = &[
    ("cold", "LOGIN"),
    ("cold", "SELECT"),
    ("cold", "UID FETCH 1:* (UID FLAGS)"),
    ("cold", "FETCH 1:* (ENVELOPE BODYSTRUCTURE RFC822.SIZE)"),
    ("warm", "LOGIN"),
    ("warm", "SELECT"),
    ("warm", "UID FETCH 1:* (UID FLAGS)"),
    ("warm", "FETCH 1:* (ENVELOPE BODYSTRUCTURE RFC822.SIZE)"),
    ("warm", "NOOP"),
    ("warm", "NOOP after one change"),
];

/// Runs the instruction-count scenario for a big folder of `count` documents.
pub async fn instructions(count: usize) -> Result<Report> {
    let mut emulator =
        start_emulator(&words(&format!("--setup big-folder --count {count}"))).await?;
    let document = emulator.ready_field("document")?.to_owned();
    let finder = Sidecar::start(&emulator, false).await?;
    let mailbox = find_mailbox(finder.imap, "bench", "/docs").await?;
    finder.stop().await;

    let dir = std::env::temp_dir().join(format!("bench-callgrind-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let wrapper = vec![
        "valgrind".to_owned(),
        "--tool=callgrind".to_owned(),
        "--dump-instr=no".to_owned(),
        format!("--callgrind-out-file={}/cg.%p", dir.display()),
    ];
    // Under callgrind a cold sync takes minutes: the caches must outlive it (or the warm
    // session would list the folder again), and so must the time between full resyncs.
    let defines = [
        "imap.sidecar.cache.listingTtlMs=3600000",
        "imap.sidecar.resync.intervalMs=3600000",
    ];
    let mut sidecar = Sidecar::start_wrapped(&emulator, false, wrapper, &defines).await?;
    let mut meter = Meter {
        pid: sidecar.pid(),
        dir: dir.clone(),
        dumps: 0,
    };
    let mut figures: Vec<(String, u64, u64)> = Vec::new();
    let mut session: Option<Client> = None;
    for (phase, command) in SEQUENCE {
        if *command == "LOGIN" {
            if let Some(mut previous) = session.take() {
                let _ = previous.command("LOGOUT").await;
            }
            session = Some(Client::connect(sidecar.imap).await?);
        }
        if command.starts_with("NOOP after") {
            emulator.request(&format!("touch {document}")).await?;
        }
        let client = session.as_mut().ok_or_else(|| protocol("no session"))?;
        let calls_before = sidecar.calls().await?.total;
        meter.zero().await?;
        match *command {
            "LOGIN" => client.login("bench", PASSWORD).await?,
            "SELECT" => {
                client
                    .command(&format!("SELECT {}", quoted(&mailbox)))
                    .await?
                    .ok("SELECT")?;
            }
            "NOOP after one change" => {
                client.command("NOOP").await?.ok("NOOP")?;
            }
            text => {
                client.command_counted(text).await?.ok(text)?;
            }
        }
        let instructions = meter.dump().await?;
        let calls = sidecar.calls().await?.total - calls_before;
        figures.push((format!("{phase} {command}"), instructions, calls));
    }
    if let Some(mut last) = session.take() {
        let _ = last.command("LOGOUT").await;
    }
    sidecar.stop().await;
    emulator.stop().await;

    println!(
        "callgrind dumps (for callgrind_annotate): {}",
        dir.display()
    );
    let mut report = Report::new(format!("instructions-{count}"));
    for (what, instructions, calls) in &figures {
        let key = what
            .to_ascii_lowercase()
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(4)
            .collect::<Vec<_>>()
            .join("_");
        report.figure(
            &format!("{key}_ir"),
            &format!("{what}: instructions (REST calls: {calls})"),
            instructions,
            "",
        );
    }
    Ok(report)
}

/// Zeroes and dumps callgrind's counters in the sidecar.
struct Meter {
    pid: u32,
    dir: PathBuf,
    dumps: u32,
}

impl Meter {
    async fn zero(&mut self) -> Result<()> {
        control(self.pid, "--zero").await
    }

    /// Dumps the counters and returns the instructions executed since the last zero.
    async fn dump(&mut self) -> Result<u64> {
        control(self.pid, "--dump").await?;
        self.dumps += 1;
        let file = self.dir.join(format!("cg.{}.{}", self.pid, self.dumps));
        for _ in 0..600 {
            if let Some(total) = totals(&file) {
                return Ok(total);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(BenchError::Timeout(format!(
            "no dump in {}",
            file.display()
        )))
    }
}

/// Runs `callgrind_control <option> <pid>`.
async fn control(pid: u32, option: &str) -> Result<()> {
    let status = tokio::process::Command::new("callgrind_control")
        .arg(option)
        .arg(pid.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .await
        .map_err(|e| BenchError::Worker(format!("cannot run callgrind_control: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(BenchError::Worker(format!(
            "callgrind_control {option} {pid} failed: {status}"
        )))
    }
}

/// The `totals:` (or `summary:`) line of a finished callgrind dump.
fn totals(file: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(file).ok()?;
    text.lines()
        .find_map(|line| {
            line.strip_prefix("totals:")
                .or_else(|| line.strip_prefix("summary:"))
        })
        .and_then(|n| n.split_whitespace().next()?.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dump_gives_its_totals() {
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("cg.1.1");
        std::fs::write(
            &file,
            "version: 1\nevents: Ir\nfn=main\n3 5\ntotals: 12345\n",
        )
        .expect("write");
        assert_eq!(totals(&file), Some(12345));
        assert_eq!(totals(&dir.path().join("missing")), None);
    }
}
