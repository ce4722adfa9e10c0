//! The driver: starts the emulator and the sidecar (and Dovecot), runs each scenario's
//! clients, and prints its table and `RESULT` line.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use futures::StreamExt;

use crate::args::{Args, ScenarioName};
use crate::client::{Client, tls_trusting};
use crate::dovecot::{self, Maildirs};
use crate::emulator_role::{self, PASSWORD, small_email};
use crate::error::{BenchError, Result, protocol};
use crate::procfs;
use crate::report::{Report, median, median_u64, mib, ms, ratio};
use crate::worker::{Fields, Launch, Worker};

/// Runs the driver.
pub fn main() -> ExitCode {
    let args = Args::parse();
    let fds = procfs::raise_fd_limit();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("bench: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    println!("machine: {}", procfs::machine());
    println!("open-file limit: {fds}");
    let dovecot = !args.no_dovecot && dovecot::installed();
    if !dovecot {
        println!("Dovecot: not run (not installed at /usr/sbin/dovecot, or --no-dovecot)");
    }
    let mut reports = Vec::new();
    let mut failed = false;
    for scenario in args.selected() {
        let outcome = runtime.block_on(run_scenario(scenario, &args, dovecot));
        match outcome {
            Ok(done) => {
                for report in done {
                    report.print_table();
                    reports.push(report);
                }
            }
            Err(error) => {
                eprintln!("bench: {scenario:?} failed: {error}");
                failed = true;
            }
        }
    }
    println!();
    for report in &reports {
        println!("{}", report.result_line());
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

async fn run_scenario(scenario: ScenarioName, args: &Args, dovecot: bool) -> Result<Vec<Report>> {
    let mut reports = Vec::new();
    match scenario {
        ScenarioName::BigFolder => {
            for &count in &args.folder_docs {
                reports.push(big_folder(count, args, dovecot).await?);
            }
        }
        ScenarioName::ManySessions => {
            for &count in &args.sessions {
                reports.push(many_sessions(count).await?);
            }
        }
        ScenarioName::LargeFile => reports.push(large_file(args, dovecot).await?),
        ScenarioName::BigTree => reports.push(big_tree(args).await?),
        ScenarioName::Mix => reports.push(mix(args, dovecot).await?),
        ScenarioName::SearchText => {
            for &count in &args.folder_docs {
                reports.push(search_text(count, args).await?);
            }
        }
        ScenarioName::Instructions => {
            for &count in &args.folder_docs {
                reports.push(crate::instructions::instructions(count).await?);
            }
        }
    }
    Ok(reports)
}

// ----- the helper processes -----

/// Starts the emulator with one scenario's data, pinned to the last CPU when there are two
/// or more and `taskset` exists.
pub(crate) async fn start_emulator(setup: &[String]) -> Result<Worker> {
    let cpus = (procfs::cpus() >= 2 && std::path::Path::new("/usr/bin/taskset").exists())
        .then(|| (procfs::cpus() - 1).to_string());
    let launch = Launch {
        cpus,
        wrapper: Vec::new(),
        ready_within: Duration::from_secs(600),
    };
    Worker::start(emulator_role::ROLE, setup, &launch).await
}

pub(crate) fn words(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_owned).collect()
}

/// A sidecar process with a fresh state directory (empty caches, no UIDs yet).
pub(crate) struct Sidecar {
    worker: Worker,
    pub(crate) imap: SocketAddr,
    imaps: Option<SocketAddr>,
    cert: Option<PathBuf>,
    _state: tempfile::TempDir,
}

/// REST calls made so far: all of them, content downloads, and per route.
#[derive(Debug, Clone, Default)]
pub(crate) struct Calls {
    pub(crate) total: u64,
    content: u64,
    routes: BTreeMap<String, u64>,
}

impl std::ops::Sub for Calls {
    type Output = Calls;
    fn sub(self, earlier: Calls) -> Calls {
        let routes = self
            .routes
            .iter()
            .map(|(route, n)| {
                let before = earlier.routes.get(route).copied().unwrap_or(0);
                (route.clone(), n.saturating_sub(before))
            })
            .filter(|(_, n)| *n > 0)
            .collect();
        Calls {
            total: self.total.saturating_sub(earlier.total),
            content: self.content.saturating_sub(earlier.content),
            routes,
        }
    }
}

impl Calls {
    /// Prints the calls per route when `BENCH_ROUTES` is set (to find where calls go).
    fn show(&self, step: &str) {
        if std::env::var_os("BENCH_ROUTES").is_some() {
            eprintln!("REST calls, {step}: {}", self.total);
            for (route, n) in &self.routes {
                eprintln!("  {n:>7}  {route}");
            }
        }
    }
}

impl Sidecar {
    pub(crate) async fn start(emulator: &Worker, tls: bool) -> Result<Sidecar> {
        // `BENCH_SIDECAR_WRAPPER="perf record -g -o sidecar.data"` profiles the sidecar (its
        // `/proc` figures are then the wrapper's).
        let wrapper = std::env::var("BENCH_SIDECAR_WRAPPER")
            .map(|w| words(&w))
            .unwrap_or_default();
        Self::start_wrapped(emulator, tls, wrapper, &[]).await
    }

    /// A sidecar run under `wrapper` (a profiler with its arguments; none when empty).
    pub(crate) async fn start_wrapped(
        emulator: &Worker,
        tls: bool,
        wrapper: Vec<String>,
        defines: &[&str],
    ) -> Result<Sidecar> {
        let state = tempfile::Builder::new()
            .prefix("bench-sidecar-")
            .tempdir()?;
        let mut arguments = vec![
            "--rest-port".to_owned(),
            emulator.ready_field("port")?.to_owned(),
            "--state-dir".to_owned(),
            state.path().display().to_string(),
        ];
        for define in [
            "imap.sidecar.limits.commandsPerSecond=1000000",
            "imap.sidecar.limits.appendLimit=1073741824",
            "imap.sidecar.limits.appendBudget=2147483648",
        ]
        .iter()
        .chain(defines)
        {
            arguments.extend(["-D".to_owned(), define.to_string()]);
        }
        if tls {
            arguments.extend(["--tls-port".to_owned(), dovecot::free_port()?.to_string()]);
        }
        let launch = Launch {
            cpus: None,
            wrapper,
            ready_within: Duration::from_secs(600),
        };
        let worker = Worker::start(crate::sidecar_role::ROLE, &arguments, &launch).await?;
        let port = |key: &str| -> Option<SocketAddr> {
            worker
                .ready
                .get(key)
                .and_then(|p| p.parse::<u16>().ok())
                .map(|p| SocketAddr::from(([127, 0, 0, 1], p)))
        };
        let imap = port("imap").ok_or_else(|| BenchError::Worker("no imap port".into()))?;
        let imaps = port("imaps");
        let cert = worker.ready.get("cert").map(PathBuf::from);
        Ok(Sidecar {
            worker,
            imap,
            imaps,
            cert,
            _state: state,
        })
    }

    pub(crate) fn pid(&self) -> u32 {
        self.worker.pid
    }

    pub(crate) async fn calls(&mut self) -> Result<Calls> {
        let fields = self.worker.request("metrics").await?;
        Ok(calls_of(&fields))
    }

    pub(crate) async fn stop(self) {
        self.worker.stop().await;
    }
}

fn calls_of(fields: &Fields) -> Calls {
    let total = fields
        .get("calls")
        .and_then(|n| n.parse().ok())
        .unwrap_or_default();
    let content = fields
        .iter()
        .filter(|(k, _)| k.starts_with("route:GET:") && k.ends_with("/content"))
        .filter_map(|(_, v)| v.parse::<u64>().ok())
        .sum();
    let routes = fields
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("route:")?.to_owned(), v.parse().ok()?)))
        .collect();
    Calls {
        total,
        content,
        routes,
    }
}

/// Repository activities the emulator has recorded.
async fn activities(emulator: &mut Worker) -> Result<u64> {
    let fields = emulator.request("activities").await?;
    Ok(fields
        .get("count")
        .and_then(|n| n.parse().ok())
        .unwrap_or_default())
}

// ----- IMAP helpers -----

/// An IMAP quoted string.
pub(crate) fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The mailbox name of a `LIST`/`LSUB` response.
fn listed_name(line: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(line);
    if let Some((_, literal)) = text.split_once("}\r\n") {
        return Some(literal.trim_end().to_owned());
    }
    let text = text.trim_end();
    if let Some(inner) = text.strip_suffix('"') {
        let open = inner.rfind('"')?;
        return Some(
            inner[open + 1..]
                .replace("\\\"", "\"")
                .replace("\\\\", "\\"),
        );
    }
    text.rsplit(' ').next().map(str::to_owned)
}

/// The full name of the first mailbox `user` sees whose name ends with `suffix`.
pub(crate) async fn find_mailbox(address: SocketAddr, user: &str, suffix: &str) -> Result<String> {
    let mut client = Client::connect(address).await?;
    client.login(user, PASSWORD).await?;
    let reply = client.command("LIST \"\" \"*\"").await?.ok("LIST")?;
    let _ = client.command("LOGOUT").await;
    reply
        .untagged
        .iter()
        .filter_map(|line| listed_name(line))
        .find(|name| name.ends_with(suffix))
        .ok_or_else(|| protocol(format!("{user} sees no mailbox ending with {suffix}")))
}

/// The times of a first sync as Thunderbird and Outlook do it.
#[derive(Debug, Clone, Copy, Default)]
struct Sync {
    /// LOGIN to the end of the ENVELOPE/BODYSTRUCTURE fetch.
    total: Duration,
    /// SELECT and the FLAGS fetch.
    select_flags: Duration,
    /// Messages the SELECT announced.
    exists: u32,
}

async fn first_sync(address: SocketAddr, user: &str, mailbox: &str) -> Result<(Client, Sync)> {
    let mut client = Client::connect(address).await?;
    let start = Instant::now();
    client.login(user, PASSWORD).await?;
    let select = Instant::now();
    client
        .command(&format!("SELECT {}", quoted(mailbox)))
        .await?
        .ok("SELECT")?;
    let exists = client.exists.unwrap_or(0);
    if exists > 0 {
        client
            .command_counted("UID FETCH 1:* (UID FLAGS)")
            .await?
            .ok("UID FETCH FLAGS")?;
    }
    let select_flags = select.elapsed();
    if exists > 0 {
        client
            .command_counted("FETCH 1:* (ENVELOPE BODYSTRUCTURE RFC822.SIZE)")
            .await?
            .ok("FETCH ENVELOPE")?;
    }
    Ok((
        client,
        Sync {
            total: start.elapsed(),
            select_flags,
            exists,
        },
    ))
}

async fn timed_noop(client: &mut Client) -> Result<(Duration, usize)> {
    let start = Instant::now();
    let reply = client.command("NOOP").await?.ok("NOOP")?;
    Ok((start.elapsed(), reply.untagged_count))
}

// ----- 1. big-folder -----

async fn big_folder(count: usize, args: &Args, with_dovecot: bool) -> Result<Report> {
    let mut emulator =
        start_emulator(&words(&format!("--setup big-folder --count {count}"))).await?;
    let document = emulator.ready_field("document")?.to_owned();
    let page_size = 1000u64;
    let runs = if count >= 50_000 { 1 } else { args.runs.max(1) };
    let mut cold = Vec::new();
    let mut cold_select_flags = Vec::new();
    let mut warm = Vec::new();
    let mut warm_select_flags = Vec::new();
    let mut calls_cold = Vec::new();
    let mut calls_warm = Vec::new();
    let mut content_calls = 0u64;
    let mut noop_same = Vec::new();
    let mut noop_same_calls = Vec::new();
    let mut noop_changed = Vec::new();
    let mut noop_changed_calls = Vec::new();
    let mut noop_changed_untagged = 0usize;
    let mut activities_warm = 0u64;
    let mut peak = 0u64;
    let mut cpu_cold = Vec::new();
    let mut cpu_warm = Vec::new();
    let mut mailbox = String::new();
    let mut exists = 0;
    for run in 0..runs {
        let mut sidecar = Sidecar::start(&emulator, false).await?;
        if run == 0 {
            // A throw-away sidecar finds the name, so the measured one starts cold.
            mailbox = find_mailbox(sidecar.imap, "bench", "/docs").await?;
            sidecar.stop().await;
            sidecar = Sidecar::start(&emulator, false).await?;
        }
        let before = sidecar.calls().await?;
        let cpu0 = procfs::cpu_time(sidecar.pid()).unwrap_or_default();
        let (mut first, sync) = first_sync(sidecar.imap, "bench", &mailbox).await?;
        let cpu1 = procfs::cpu_time(sidecar.pid()).unwrap_or_default();
        let after_cold = sidecar.calls().await?;
        exists = sync.exists;
        cold.push(sync.total);
        cold_select_flags.push(sync.select_flags);
        let delta = after_cold.clone() - before;
        delta.show("cold sync");
        calls_cold.push(delta.total);
        content_calls += delta.content;
        let _ = first.command("LOGOUT").await;
        let activities0 = activities(&mut emulator).await?;
        let (mut second, sync) = first_sync(sidecar.imap, "bench", &mailbox).await?;
        let cpu2 = procfs::cpu_time(sidecar.pid()).unwrap_or_default();
        let after_warm = sidecar.calls().await?;
        activities_warm += activities(&mut emulator).await? - activities0;
        warm.push(sync.total);
        warm_select_flags.push(sync.select_flags);
        let delta = after_warm.clone() - after_cold;
        delta.show("warm sync");
        calls_warm.push(delta.total);
        content_calls += delta.content;
        cpu_cold.push(cpu1.saturating_sub(cpu0));
        cpu_warm.push(cpu2.saturating_sub(cpu1));
        let (time, _) = timed_noop(&mut second).await?;
        let after_noop = sidecar.calls().await?;
        noop_same.push(time);
        let delta = after_noop.clone() - after_warm;
        delta.show("NOOP unchanged");
        noop_same_calls.push(delta.total);
        emulator.request(&format!("touch {document}")).await?;
        let (time, untagged) = timed_noop(&mut second).await?;
        let after_change = sidecar.calls().await?;
        noop_changed.push(time);
        let delta = after_change - after_noop;
        delta.show("NOOP changed");
        noop_changed_calls.push(delta.total);
        noop_changed_untagged = untagged;
        let _ = second.command("LOGOUT").await;
        peak = peak.max(procfs::peak_kib(sidecar.pid()).unwrap_or_default());
        sidecar.stop().await;
    }
    emulator.stop().await;
    let limit = count as u64 / page_size + u64::from(!(count as u64).is_multiple_of(page_size)) + 5;
    let mut report = Report::new(format!("big-folder-{count}"));
    report.figure(
        "messages",
        "messages in the folder",
        exists,
        &count.to_string(),
    );
    report.figure("runs", "cold runs (fresh sidecar each)", runs, "");
    report.figure(
        "cold_ms",
        "cold: LOGIN..ENVELOPE fetch, ms",
        ms(median(cold.clone())),
        "< 2000",
    );
    report.figure(
        "cold_select_flags_ms",
        "cold: SELECT + FLAGS fetch, ms",
        ms(median(cold_select_flags)),
        "",
    );
    report.figure(
        "rest_calls_cold",
        "cold: REST calls",
        median_u64(calls_cold),
        &format!("<= {limit}"),
    );
    report.figure(
        "warm_ms",
        "warm: LOGIN..ENVELOPE fetch, ms",
        ms(median(warm.clone())),
        "",
    );
    report.figure(
        "warm_select_flags_ms",
        "warm: SELECT + FLAGS fetch, ms",
        ms(median(warm_select_flags.clone())),
        "< 150",
    );
    report.figure(
        "rest_calls_warm",
        "warm: REST calls",
        median_u64(calls_warm),
        "",
    );
    report.figure(
        "content_downloads",
        "document content downloads (all runs)",
        content_calls,
        "0",
    );
    report.figure(
        "activities_warm",
        "repository activities posted by warm syncs",
        activities_warm,
        "0",
    );
    report.figure(
        "noop_unchanged_ms",
        "NOOP, folder unchanged, ms",
        ms(median(noop_same)),
        "< 50",
    );
    report.figure(
        "noop_unchanged_calls",
        "NOOP, folder unchanged: REST calls",
        median_u64(noop_same_calls),
        "<= 1",
    );
    report.figure(
        "noop_changed_ms",
        "NOOP after one document changed, ms",
        ms(median(noop_changed)),
        "",
    );
    report.figure(
        "noop_changed_calls",
        "NOOP after one change: REST calls",
        median_u64(noop_changed_calls),
        "",
    );
    report.figure(
        "noop_changed_untagged",
        "NOOP after one change: untagged responses",
        noop_changed_untagged,
        ">= 1",
    );
    report.figure(
        "cpu_cold_ms",
        "sidecar CPU, cold sync, ms",
        ms(median(cpu_cold)),
        "",
    );
    report.figure(
        "cpu_warm_ms",
        "sidecar CPU, warm sync, ms",
        ms(median(cpu_warm)),
        "",
    );
    report.figure("peak_rss_mb", "sidecar peak RSS, MiB", mib(peak), "");
    if with_dovecot {
        let mut maildirs = Maildirs::new()?;
        maildirs.add_user("bench")?;
        for n in 0..count {
            let bytes = small_email("bench", n);
            maildirs.add_message("bench", Some("docs"), |f| {
                std::io::Write::write_all(f, &bytes)
            })?;
        }
        let server = maildirs.start().await?;
        let result = dovecot_big_folder(server.address).await;
        if result.is_err() {
            eprintln!("Dovecot log:\n{}", server.log());
        }
        server.stop().await;
        let (cold_d, warm_d, noop_d) = result?;
        report.figure("dovecot_cold_ms", "Dovecot cold, ms", ms(cold_d.total), "");
        report.figure(
            "dovecot_warm_select_flags_ms",
            "Dovecot warm SELECT + FLAGS, ms",
            ms(warm_d.select_flags),
            "",
        );
        report.figure("dovecot_warm_ms", "Dovecot warm, ms", ms(warm_d.total), "");
        report.figure("dovecot_noop_ms", "Dovecot NOOP, ms", ms(noop_d), "");
        report.figure(
            "ratio_cold",
            "ratio sidecar/Dovecot, cold",
            ratio(median(cold).as_secs_f64(), cold_d.total.as_secs_f64()),
            "-> 1",
        );
        report.figure(
            "ratio_warm",
            "ratio sidecar/Dovecot, warm",
            ratio(median(warm).as_secs_f64(), warm_d.total.as_secs_f64()),
            "-> 1",
        );
    }
    Ok(report)
}

async fn dovecot_big_folder(address: SocketAddr) -> Result<(Sync, Sync, Duration)> {
    let (mut first, cold) = first_sync(address, "bench", "docs").await?;
    let _ = first.command("LOGOUT").await;
    let (mut second, warm) = first_sync(address, "bench", "docs").await?;
    let (noop, _) = timed_noop(&mut second).await?;
    let _ = second.command("LOGOUT").await;
    Ok((cold, warm, noop))
}

// ----- search-text (issue 10) -----

/// The word searched for: the author of every fourth document (in its content, not in its
/// name or title), so the index answers with a quarter of the folder.
const SEARCH_WORD: &str = "Lovelace";

async fn search_text(count: usize, args: &Args) -> Result<Report> {
    let emulator = start_emulator(&words(&format!("--setup big-folder --count {count}"))).await?;
    let mut sidecar = Sidecar::start(&emulator, false).await?;
    let outcome = search_runs(&mut sidecar, args.runs.max(1)).await;
    sidecar.stop().await;
    emulator.stop().await;
    let (times, calls, matches, cpu) = outcome?;
    let mut report = Report::new(format!("search-text-{count}"));
    report.figure("messages", "messages in the folder", count, "");
    report.figure(
        "runs",
        "searches (one session, folder selected)",
        times.len(),
        "",
    );
    report.figure(
        "ms",
        &format!("UID SEARCH TEXT {SEARCH_WORD}, ms"),
        ms(median(times)),
        "< 1000",
    );
    report.figure("rest_calls", "REST calls per search", median_u64(calls), "");
    report.figure("cpu_ms", "sidecar CPU per search, ms", ms(median(cpu)), "");
    report.figure(
        "matches",
        "messages found",
        matches,
        &(count / 4).to_string(),
    );
    Ok(report)
}

/// What [`search_runs`] measured: times, REST calls and sidecar CPU of each search, and the
/// number of messages found.
type Searches = (Vec<Duration>, Vec<u64>, usize, Vec<Duration>);

/// Selects the big folder, then times `runs` searches.
async fn search_runs(sidecar: &mut Sidecar, runs: usize) -> Result<Searches> {
    let mailbox = find_mailbox(sidecar.imap, "bench", "/docs").await?;
    let mut client = Client::connect(sidecar.imap).await?;
    client.login("bench", PASSWORD).await?;
    client
        .command(&format!("SELECT {}", quoted(&mailbox)))
        .await?
        .ok("SELECT")?;
    let mut times = Vec::new();
    let mut calls = Vec::new();
    let mut matches = 0;
    let mut cpu = Vec::new();
    for _ in 0..runs {
        let before = sidecar.calls().await?;
        let cpu0 = procfs::cpu_time(sidecar.pid()).unwrap_or_default();
        let start = Instant::now();
        let reply = client
            .command(&format!("UID SEARCH TEXT {SEARCH_WORD}"))
            .await?
            .ok("SEARCH")?;
        times.push(start.elapsed());
        cpu.push(
            procfs::cpu_time(sidecar.pid())
                .unwrap_or_default()
                .saturating_sub(cpu0),
        );
        let delta = sidecar.calls().await? - before;
        delta.show("SEARCH TEXT");
        calls.push(delta.total);
        matches = reply
            .untagged
            .iter()
            .filter_map(|line| {
                String::from_utf8_lossy(line)
                    .strip_prefix("* SEARCH")
                    .map(|rest| rest.split_whitespace().count())
            })
            .sum();
    }
    let _ = client.command("LOGOUT").await;
    Ok((times, calls, matches, cpu))
}

// ----- 2. many-sessions -----

async fn many_sessions(count: usize) -> Result<Report> {
    let users = (count / 10).max(1);
    let emulator = start_emulator(&words(&format!(
        "--setup sessions --users {users} --count 5"
    )))
    .await?;
    let mut report = Report::new(format!("many-sessions-{count}"));
    let mut mailbox = String::new();
    for (label, spread) in [("one_user", 1usize), ("ten_per_user", users)] {
        let mut sidecar = Sidecar::start(&emulator, false).await?;
        if mailbox.is_empty() {
            mailbox = find_mailbox(sidecar.imap, "s00000", "/documentLibrary/Inbox").await?;
        }
        let user_of = move |i: usize| format!("s{:05}", i % spread);
        let outcome = idle_sessions(&mut sidecar, count, &mailbox, &user_of, false).await;
        let peak = procfs::peak_kib(sidecar.pid()).unwrap_or_default();
        sidecar.stop().await;
        let measured = outcome?;
        let who = if spread == 1 {
            format!("1 user x {count}")
        } else {
            format!("{spread} users x {}", count / spread)
        };
        report.figure(
            &format!("{label}_kib_per_session"),
            &format!("{who}: RSS per idle session, KiB"),
            measured.kib_per_session,
            "< 64",
        );
        report.figure(
            &format!("{label}_append_ms"),
            &format!("{who}: APPEND, ms"),
            ms(measured.append),
            "",
        );
        report.figure(
            &format!("{label}_notified"),
            &format!("{who}: sessions that saw EXISTS"),
            measured.notified,
            &count.to_string(),
        );
        report.figure(
            &format!("{label}_notify_ms"),
            &format!("{who}: APPEND to the last EXISTS, ms"),
            ms(measured.notify_all),
            "< 2000",
        );
        report.figure(
            &format!("{label}_rest_calls"),
            &format!("{who}: REST calls for the notification"),
            measured.calls.total,
            "",
        );
        report.figure(
            &format!("{label}_peak_rss_mb"),
            &format!("{who}: sidecar peak RSS, MiB"),
            mib(peak),
            "",
        );
    }
    let mut sidecar = Sidecar::start(&emulator, true).await?;
    let outcome = idle_sessions(
        &mut sidecar,
        count,
        &mailbox,
        &|_| "s00000".to_owned(),
        true,
    )
    .await;
    sidecar.stop().await;
    let measured = outcome?;
    report.figure(
        "tls_kib_per_session",
        &format!("TLS, 1 user x {count}: RSS per idle session, KiB"),
        measured.kib_per_session,
        "< 128",
    );
    emulator.stop().await;
    Ok(report)
}

struct SessionFigures {
    kib_per_session: u64,
    append: Duration,
    notify_all: Duration,
    notified: usize,
    calls: Calls,
}

async fn open_idle(
    sidecar_address: SocketAddr,
    tls: Option<&tokio_rustls::TlsConnector>,
    user: &str,
    mailbox: &str,
) -> Result<(Client, String, u32)> {
    let mut client = match tls {
        Some(connector) => Client::connect_tls(sidecar_address, connector).await?,
        None => Client::connect_buffered(sidecar_address, 4 * 1024).await?,
    };
    client.login(user, PASSWORD).await?;
    client
        .command(&format!("SELECT {}", quoted(mailbox)))
        .await?
        .ok("SELECT")?;
    let exists = client.exists.unwrap_or(0);
    let tag = client.idle().await?;
    Ok((client, tag, exists))
}

async fn idle_sessions(
    sidecar: &mut Sidecar,
    count: usize,
    mailbox: &str,
    user_of: &dyn Fn(usize) -> String,
    tls: bool,
) -> Result<SessionFigures> {
    let connector = match (&sidecar.cert, tls) {
        (Some(cert), true) => Some(tls_trusting(cert)?),
        _ => None,
    };
    let address = if tls {
        sidecar
            .imaps
            .ok_or_else(|| BenchError::Worker("no TLS listener".into()))?
    } else {
        sidecar.imap
    };
    // One session first, so that what the first login builds is not counted per session.
    let mut appender = Client::connect(sidecar.imap).await?;
    appender.login("s00000", PASSWORD).await?;
    appender
        .command(&format!("SELECT {}", quoted(mailbox)))
        .await?
        .ok("SELECT")?;
    let (warmup, _, _) = open_idle(address, connector.as_ref(), &user_of(0), mailbox).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rss0 = procfs::rss_kib(sidecar.pid()).unwrap_or_default();
    let sessions: Vec<Result<(Client, String, u32)>> = futures::stream::iter(0..count)
        .map(|i| {
            let user = user_of(i);
            let connector = connector.clone();
            async move { open_idle(address, connector.as_ref(), &user, mailbox).await }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let sessions: Vec<(Client, String, u32)> = sessions.into_iter().collect::<Result<_>>()?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss1 = procfs::rss_kib(sidecar.pid()).unwrap_or_default();
    let kib_per_session = rss1.saturating_sub(rss0) / count.max(1) as u64;
    if tls {
        drop(sessions);
        drop(warmup);
        return Ok(SessionFigures {
            kib_per_session,
            append: Duration::ZERO,
            notify_all: Duration::ZERO,
            notified: 0,
            calls: Calls::default(),
        });
    }
    let waiting: Vec<_> = sessions
        .into_iter()
        .map(|(mut client, _tag, exists)| {
            tokio::spawn(async move {
                let seen = client
                    .wait_for(|line| crate::client::exists_count(line).is_some_and(|n| n > exists))
                    .await
                    .map(|_| Instant::now());
                (client, seen)
            })
        })
        .collect();
    let calls0 = sidecar.calls().await?;
    let start = Instant::now();
    let message = small_email("s00000", 999_999);
    appender
        .append(
            &quoted(mailbox),
            message.len() as u64,
            |offset, want, out| {
                let from = offset as usize;
                out.extend_from_slice(&message[from..(from + want).min(message.len())]);
            },
        )
        .await?
        .ok("APPEND")?;
    let append = start.elapsed();
    let mut last = start;
    let mut notified = 0;
    let mut clients = Vec::new();
    let deadline = tokio::time::sleep(Duration::from_secs(60));
    tokio::pin!(deadline);
    let mut joined = futures::future::join_all(waiting);
    tokio::select! {
        results = &mut joined => {
            for (client, seen) in results.into_iter().flatten() {
                if let Ok(at) = seen {
                    notified += 1;
                    last = last.max(at);
                }
                clients.push(client);
            }
        }
        () = &mut deadline => {}
    }
    let calls = sidecar.calls().await? - calls0;
    drop(clients);
    drop(warmup);
    Ok(SessionFigures {
        kib_per_session,
        append,
        notify_all: last - start,
        notified,
        calls,
    })
}

// ----- 3. large-file -----

/// The repeated header line that makes large messages.
const PADDING: &[u8] =
    b"X-Bench-Padding: 0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOP\r\n";

fn fill_padding(offset: u64, want: usize, out: &mut Vec<u8>) {
    let mut at = (offset % PADDING.len() as u64) as usize;
    while out.len() < want {
        let take = (PADDING.len() - at).min(want - out.len());
        out.extend_from_slice(&PADDING[at..at + take]);
        at = 0;
    }
}

struct Transfer {
    fetch: Duration,
    fetched: u64,
    fetch_rise_kib: u64,
    append: Duration,
    appended: u64,
    append_rise_kib: u64,
}

async fn transfer(address: SocketAddr, pid: Option<u32>, append_bytes: u64) -> Result<Transfer> {
    let mut client = Client::connect(address).await?;
    client.login("bench", PASSWORD).await?;
    client.command("SELECT INBOX").await?.ok("SELECT")?;
    let rise = |pid: Option<u32>, before: u64| {
        pid.and_then(procfs::peak_kib)
            .map(|peak| peak.saturating_sub(before))
            .unwrap_or_default()
    };
    let before = pid.and_then(procfs::rss_kib).unwrap_or_default();
    if let Some(pid) = pid {
        procfs::reset_peak(pid);
    }
    let start = Instant::now();
    let reply = client
        .command_counted("FETCH 1 BODY[]")
        .await?
        .ok("FETCH BODY[]")?;
    let fetch = start.elapsed();
    let fetch_rise_kib = rise(pid, before);
    let before = pid.and_then(procfs::rss_kib).unwrap_or_default();
    if let Some(pid) = pid {
        procfs::reset_peak(pid);
    }
    let start = Instant::now();
    client
        .append("INBOX", append_bytes, fill_padding)
        .await?
        .ok("APPEND")?;
    let append = start.elapsed();
    let append_rise_kib = rise(pid, before);
    let _ = client.command("LOGOUT").await;
    Ok(Transfer {
        fetch,
        fetched: reply.literal_bytes,
        fetch_rise_kib,
        append,
        appended: append_bytes,
        append_rise_kib,
    })
}

fn mb_per_s(bytes: u64, time: Duration) -> f64 {
    bytes as f64 / 1_000_000.0 / time.as_secs_f64().max(1e-9)
}

async fn large_file(args: &Args, with_dovecot: bool) -> Result<Report> {
    let size = args.fetch_mib * 1024 * 1024;
    let append_bytes = args.append_mib * 1024 * 1024;
    let emulator = start_emulator(&words(&format!("--setup large-file --size {size}"))).await?;
    let mut report = Report::new("large-file");
    let mut fetches = Vec::new();
    let mut appends = Vec::new();
    let mut fetch_rise = Vec::new();
    let mut append_rise = Vec::new();
    let mut fetched = 0;
    let mut calls = Vec::new();
    let mut peak = 0;
    for _ in 0..args.runs.max(1) {
        let mut sidecar = Sidecar::start(&emulator, false).await?;
        let calls0 = sidecar.calls().await?;
        let outcome = transfer(sidecar.imap, Some(sidecar.pid()), append_bytes).await;
        let delta = sidecar.calls().await? - calls0;
        delta.show("large file");
        calls.push(delta.total);
        peak = peak.max(procfs::peak_kib(sidecar.pid()).unwrap_or_default());
        sidecar.stop().await;
        let t = outcome?;
        fetched = t.fetched;
        fetches.push(t.fetch);
        appends.push(t.append);
        fetch_rise.push(t.fetch_rise_kib);
        append_rise.push(t.append_rise_kib);
        let _ = t.appended;
    }
    emulator.stop().await;
    let fetch = median(fetches);
    let append = median(appends);
    let fetch_rate = mb_per_s(fetched, fetch);
    let append_rate = mb_per_s(append_bytes, append);
    report.figure("fetch_bytes", "BODY[] bytes", fetched, &size.to_string());
    report.figure("fetch_ms", "BODY[] time, ms", ms(fetch), "");
    report.figure(
        "fetch_mb_s",
        "BODY[] throughput, MB/s",
        format!("{fetch_rate:.0}"),
        ">= 200",
    );
    report.figure(
        "fetch_rss_rise_mb",
        "sidecar peak RSS rise during BODY[], MiB",
        mib(median_u64(fetch_rise)),
        "< 32",
    );
    report.figure("append_ms", "APPEND time, ms", ms(append), "");
    report.figure(
        "append_mb_s",
        "APPEND throughput, MB/s",
        format!("{append_rate:.0}"),
        "",
    );
    report.figure(
        "append_rss_rise_mb",
        "sidecar peak RSS rise during APPEND, MiB",
        mib(median_u64(append_rise)),
        "",
    );
    report.figure(
        "rest_calls",
        "REST calls (SELECT, FETCH, APPEND)",
        median_u64(calls),
        "",
    );
    report.figure("peak_rss_mb", "sidecar peak RSS, MiB", mib(peak), "");
    if with_dovecot {
        let mut maildirs = Maildirs::new()?;
        maildirs.add_user("bench")?;
        maildirs.add_message("bench", None, |file| {
            let mut written = 0u64;
            let mut chunk = Vec::with_capacity(1 << 20);
            while written < size {
                chunk.clear();
                let want = (size - written).min(1 << 20) as usize;
                fill_padding(written, want, &mut chunk);
                std::io::Write::write_all(file, &chunk)?;
                written += want as u64;
            }
            Ok(())
        })?;
        let server = maildirs.start().await?;
        let outcome = transfer(server.address, None, append_bytes).await;
        let _ = server.pid();
        server.stop().await;
        let t = outcome?;
        let d_fetch = mb_per_s(t.fetched, t.fetch);
        let d_append = mb_per_s(t.appended, t.append);
        report.figure(
            "dovecot_fetch_mb_s",
            "Dovecot BODY[] MB/s",
            format!("{d_fetch:.0}"),
            "",
        );
        report.figure(
            "dovecot_append_mb_s",
            "Dovecot APPEND MB/s",
            format!("{d_append:.0}"),
            "",
        );
        report.figure(
            "ratio_fetch_time",
            "ratio sidecar/Dovecot, BODY[] time",
            ratio(fetch.as_secs_f64(), t.fetch.as_secs_f64()),
            "-> 1",
        );
        report.figure(
            "ratio_append_time",
            "ratio sidecar/Dovecot, APPEND time",
            ratio(append.as_secs_f64(), t.append.as_secs_f64()),
            "-> 1",
        );
    }
    Ok(report)
}

// ----- 4. big-tree -----

async fn timed_list(client: &mut Client, command: &str) -> Result<(Duration, usize)> {
    let start = Instant::now();
    let reply = client.command(command).await?.ok(command)?;
    Ok((start.elapsed(), reply.untagged_count))
}

async fn big_tree(args: &Args) -> Result<Report> {
    let emulator = start_emulator(&words(&format!(
        "--setup big-tree --count {} --levels {}",
        args.tree_folders, args.tree_levels
    )))
    .await?;
    let folders: usize = emulator.ready_field("folders")?.parse().unwrap_or(0);
    let mut list_cold = Vec::new();
    let mut list_cold_calls = Vec::new();
    let mut lsub_cold = Vec::new();
    let mut lsub_cold_calls = Vec::new();
    let mut list_warm = Vec::new();
    let mut list_warm_calls = Vec::new();
    let mut lsub_warm = Vec::new();
    let mut listed = 0;
    let mut subscribed = 0;
    let mut peak = 0;
    let mut cpu = Vec::new();
    for _ in 0..args.runs.max(1) {
        let mut sidecar = Sidecar::start(&emulator, false).await?;
        let mut client = Client::connect(sidecar.imap).await?;
        client.login("bench", PASSWORD).await?;
        let c0 = sidecar.calls().await?;
        let cpu0 = procfs::cpu_time(sidecar.pid()).unwrap_or_default();
        let (t, n) = timed_list(&mut client, "LIST \"\" \"*\"").await?;
        cpu.push(
            procfs::cpu_time(sidecar.pid())
                .unwrap_or_default()
                .saturating_sub(cpu0),
        );
        let c1 = sidecar.calls().await?;
        list_cold.push(t);
        listed = n;
        let delta = c1.clone() - c0;
        delta.show("cold LIST");
        list_cold_calls.push(delta.total);
        let (t, n) = timed_list(&mut client, "LSUB \"\" \"*\"").await?;
        let c2 = sidecar.calls().await?;
        lsub_cold.push(t);
        subscribed = n;
        let delta = c2 - c1;
        delta.show("LSUB");
        lsub_cold_calls.push(delta.total);
        let _ = client.command("LOGOUT").await;
        let mut client = Client::connect(sidecar.imap).await?;
        client.login("bench", PASSWORD).await?;
        let c3 = sidecar.calls().await?;
        let (t, _) = timed_list(&mut client, "LIST \"\" \"*\"").await?;
        let c4 = sidecar.calls().await?;
        list_warm.push(t);
        let delta = c4 - c3;
        delta.show("warm LIST");
        list_warm_calls.push(delta.total);
        let (t, _) = timed_list(&mut client, "LSUB \"\" \"*\"").await?;
        lsub_warm.push(t);
        let _ = client.command("LOGOUT").await;
        peak = peak.max(procfs::peak_kib(sidecar.pid()).unwrap_or_default());
        sidecar.stop().await;
    }
    emulator.stop().await;
    let mut report = Report::new(format!("big-tree-{folders}"));
    report.figure("folders", "folders in the tree", folders, "");
    report.figure("listed", "LIST responses", listed, "");
    report.figure("subscribed", "LSUB responses", subscribed, "");
    report.figure(
        "list_cold_ms",
        "cold LIST, ms",
        ms(median(list_cold)),
        "< 5000",
    );
    report.figure(
        "rest_calls_list_cold",
        "cold LIST: REST calls",
        median_u64(list_cold_calls),
        &format!("<= {folders}"),
    );
    report.figure(
        "cpu_list_cold_ms",
        "sidecar CPU, cold LIST, ms",
        ms(median(cpu)),
        "",
    );
    report.figure(
        "lsub_cold_ms",
        "LSUB after cold LIST, ms",
        ms(median(lsub_cold)),
        "",
    );
    report.figure(
        "rest_calls_lsub",
        "LSUB after LIST: REST calls",
        median_u64(lsub_cold_calls),
        "",
    );
    report.figure(
        "list_warm_ms",
        "warm LIST (second session), ms",
        ms(median(list_warm)),
        "< 300",
    );
    report.figure(
        "rest_calls_list_warm",
        "warm LIST: REST calls",
        median_u64(list_warm_calls),
        "",
    );
    report.figure("lsub_warm_ms", "warm LSUB, ms", ms(median(lsub_warm)), "");
    report.figure("peak_rss_mb", "sidecar peak RSS, MiB", mib(peak), "");
    Ok(report)
}

// ----- 5. mix -----

/// Per command type: how many completed and how many failed.
type Counts = BTreeMap<&'static str, (u64, u64)>;

async fn mix_client(address: SocketAddr, user: String, until: Instant, seed: usize) -> Counts {
    let mut counts = Counts::new();
    let mut round = seed;
    while Instant::now() < until {
        round += 1;
        if mix_round(address, &user, round, &mut counts).await.is_err() {
            counts.entry("error").or_default().1 += 1;
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    counts
}

fn tally(counts: &mut Counts, what: &'static str, ok: bool) {
    let entry = counts.entry(what).or_default();
    if ok {
        entry.0 += 1;
    } else {
        entry.1 += 1;
    }
}

async fn mix_round(
    address: SocketAddr,
    user: &str,
    round: usize,
    counts: &mut Counts,
) -> Result<()> {
    let mut client = Client::connect(address).await?;
    let ok = client.login(user, PASSWORD).await.is_ok();
    tally(counts, "login", ok);
    if !ok {
        return Err(protocol("login"));
    }
    let reply = client.command("SELECT INBOX").await?;
    tally(
        counts,
        "select",
        reply.outcome == crate::client::Outcome::Ok,
    );
    let exists = client.exists.unwrap_or(0);
    if exists > 0 {
        let reply = client.command_counted("FETCH 1:* (FLAGS)").await?;
        tally(counts, "fetch", reply.outcome == crate::client::Outcome::Ok);
        let n = round as u32 % exists + 1;
        let reply = client
            .command_counted(&format!("FETCH {n} BODY.PEEK[]"))
            .await?;
        tally(counts, "fetch", reply.outcome == crate::client::Outcome::Ok);
        let reply = client
            .command(&format!("STORE {n} +FLAGS (\\Seen)"))
            .await?;
        tally(counts, "store", reply.outcome == crate::client::Outcome::Ok);
    }
    let message = small_email(user, round);
    let reply = client
        .append("INBOX", message.len() as u64, |offset, want, out| {
            let from = offset as usize;
            out.extend_from_slice(&message[from..(from + want).min(message.len())]);
        })
        .await?;
    tally(
        counts,
        "append",
        reply.outcome == crate::client::Outcome::Ok,
    );
    let reply = client.command("NOOP").await?;
    tally(counts, "noop", reply.outcome == crate::client::Outcome::Ok);
    if client.exists.unwrap_or(0) > exists {
        let reply = client.command("STORE * +FLAGS (\\Deleted)").await?;
        tally(counts, "store", reply.outcome == crate::client::Outcome::Ok);
        let reply = client.command("EXPUNGE").await?;
        tally(
            counts,
            "expunge",
            reply.outcome == crate::client::Outcome::Ok,
        );
    }
    let reply = client.command("LOGOUT").await?;
    tally(
        counts,
        "logout",
        reply.outcome == crate::client::Outcome::Ok,
    );
    Ok(())
}

async fn run_mix(address: SocketAddr, clients: usize, seconds: u64) -> (Counts, Duration) {
    let start = Instant::now();
    let until = start + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..clients)
        .map(|i| tokio::spawn(mix_client(address, format!("m{i:03}"), until, i * 7)))
        .collect();
    let mut total = Counts::new();
    for result in futures::future::join_all(tasks).await.into_iter().flatten() {
        for (what, (ok, failed)) in result {
            let entry = total.entry(what).or_default();
            entry.0 += ok;
            entry.1 += failed;
        }
    }
    (total, start.elapsed())
}

const MIX_COMMANDS: [&str; 7] = [
    "login", "select", "fetch", "store", "append", "expunge", "logout",
];

async fn mix(args: &Args, with_dovecot: bool) -> Result<Report> {
    let clients = args.mix_clients.max(1);
    let per_user = 50;
    let emulator = start_emulator(&words(&format!(
        "--setup mix --users {clients} --count {per_user}"
    )))
    .await?;
    let mut sidecar = Sidecar::start(&emulator, false).await?;
    let calls0 = sidecar.calls().await?;
    let cpu0 = procfs::cpu_time(sidecar.pid()).unwrap_or_default();
    let (counts, elapsed) = run_mix(sidecar.imap, clients, args.mix_seconds).await;
    let cpu = procfs::cpu_time(sidecar.pid())
        .unwrap_or_default()
        .saturating_sub(cpu0);
    let calls = sidecar.calls().await? - calls0;
    let peak = procfs::peak_kib(sidecar.pid()).unwrap_or_default();
    sidecar.stop().await;
    emulator.stop().await;
    let seconds = elapsed.as_secs_f64();
    let total: u64 = counts.values().map(|(ok, _)| ok).sum();
    let failed: u64 = counts.values().map(|(_, failed)| failed).sum();
    let mut report = Report::new("mix");
    report.figure("clients", "clients (one user each)", clients, "");
    report.figure(
        "seconds",
        "duration, s",
        format!("{seconds:.1}"),
        "30 in the issue",
    );
    for what in MIX_COMMANDS {
        let (ok, _) = counts.get(what).copied().unwrap_or_default();
        report.figure(
            &format!("{what}_per_s"),
            &format!("{what} per second"),
            format!("{:.1}", ok as f64 / seconds),
            "",
        );
    }
    let rate = total as f64 / seconds;
    report.figure(
        "commands_per_s",
        "all commands per second",
        format!("{rate:.1}"),
        "",
    );
    report.figure("failed", "failed commands or rounds", failed, "0");
    report.figure(
        "rest_calls_per_command",
        "REST calls per command",
        format!("{:.2}", calls.total as f64 / total.max(1) as f64),
        "",
    );
    report.figure(
        "cpu_us_per_command",
        "sidecar CPU per command, µs",
        format!("{:.0}", cpu.as_secs_f64() * 1e6 / total.max(1) as f64),
        "",
    );
    report.figure("peak_rss_mb", "sidecar peak RSS, MiB", mib(peak), "");
    if with_dovecot {
        let mut maildirs = Maildirs::new()?;
        for i in 0..clients {
            let user = format!("m{i:03}");
            maildirs.add_user(&user)?;
            for n in 0..per_user {
                let bytes = small_email(&user, n);
                maildirs.add_message(&user, None, |f| std::io::Write::write_all(f, &bytes))?;
            }
        }
        let server = maildirs.start().await?;
        let (d_counts, d_elapsed) = run_mix(server.address, clients, args.mix_seconds).await;
        server.stop().await;
        let d_total: u64 = d_counts.values().map(|(ok, _)| ok).sum();
        let d_rate = d_total as f64 / d_elapsed.as_secs_f64();
        report.figure(
            "dovecot_commands_per_s",
            "Dovecot: all commands per second",
            format!("{d_rate:.1}"),
            "",
        );
        report.figure(
            "ratio_commands",
            "ratio sidecar/Dovecot, commands per second",
            ratio(rate, d_rate),
            ">= 0.5",
        );
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_names_are_read_quoted_atom_or_literal() {
        assert_eq!(
            listed_name(b"* LIST (\\HasNoChildren) \"/\" \"Alfresco IMAP/Sites/big/docs\"\r\n"),
            Some("Alfresco IMAP/Sites/big/docs".to_owned())
        );
        assert_eq!(
            listed_name(b"* LIST () \"/\" INBOX\r\n"),
            Some("INBOX".to_owned())
        );
        assert_eq!(
            listed_name(b"* LIST () \"/\" {5}\r\na\"b c\r\n"),
            Some("a\"b c".to_owned())
        );
        assert_eq!(quoted("a\"b"), "\"a\\\"b\"");
    }

    #[test]
    fn padding_continues_across_pieces() {
        let mut a = Vec::new();
        fill_padding(0, 100, &mut a);
        let mut b = Vec::new();
        fill_padding(100, 100, &mut b);
        a.extend(b);
        let mut whole = Vec::new();
        fill_padding(0, 200, &mut whole);
        assert_eq!(a, whole);
    }
}
