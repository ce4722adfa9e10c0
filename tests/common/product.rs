//! The product as operators run it: an [`App`] assembled from properties, in front of an
//! emulator on 127.0.0.1 (demo seed), optionally through a [`FaultProxy`]; or the product
//! binary itself as a child process ([`ProductProcess`]). Both log into the test log directory
//! ([`super::logs`]).

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use alfresco_imap::app::{App, AppOptions};
use alfresco_imap::config::{ConfigSources, ImapConfig};
use alfresco_imap::emulator::{self, EmulatorHandle, EmulatorOptions};
use alfresco_imap::server::{Gauges, Security};

use super::client::RawClient;
use super::proxy::FaultProxy;

/// A running product.
pub struct Product {
    /// The emulator behind it.
    pub emulator: EmulatorHandle,
    /// The proxy between the product and the emulator, when asked for.
    pub proxy: Option<FaultProxy>,
    /// The product.
    pub app: Option<App>,
    /// The plain IMAP address.
    pub address: SocketAddr,
    /// The IMAPS address, when enabled.
    pub tls_address: Option<SocketAddr>,
    /// The data directory (state store, spool).
    pub dir: tempfile::TempDir,
}

/// The emulator options the product tests use: metadata extraction and search without delay.
pub fn fast_emulator() -> EmulatorOptions {
    EmulatorOptions {
        extraction_delay: Duration::from_millis(20),
        search_lag: Duration::ZERO,
        ..EmulatorOptions::default()
    }
}

/// The properties every product test sets: the repository, listeners on free ports, a data
/// directory, and short delays; `extra` comes last and wins.
pub fn properties(rest_port: u16, data_dir: &Path, extra: &[&str]) -> Vec<String> {
    let mut defines: Vec<String> = vec![
        "alfresco.protocol=http".into(),
        "alfresco.host=127.0.0.1".into(),
        format!("alfresco.port={rest_port}"),
        "alfresco.context=alfresco".into(),
        "share.host=127.0.0.1".into(),
        format!("share.port={rest_port}"),
        "imap.server.host=127.0.0.1".into(),
        "imap.server.imap.enabled=true".into(),
        "imap.server.port=0".into(),
        "imap.server.imaps.port=0".into(),
        format!("imap.sidecar.data.dir={}", data_dir.display()),
        "imap.sidecar.auth.failureDelayMs=1".into(),
        "imap.sidecar.rest.retryBackoffMs=1".into(),
        "imap.sidecar.http.address=127.0.0.1:0".into(),
    ];
    defines.extend(extra.iter().map(|s| (*s).to_owned()));
    defines
}

/// Loads a configuration from `-D` style definitions only.
pub fn config(defines: Vec<String>) -> ImapConfig {
    let sources = ConfigSources {
        defines,
        local_name: Some("localhost".into()),
        ..ConfigSources::default()
    };
    match ImapConfig::load(&sources) {
        Ok(config) => config,
        Err(errors) => panic!("invalid test configuration: {errors}"),
    }
}

impl Product {
    /// The product with `extra` properties, straight to an emulator with the demo seed.
    pub async fn start(extra: &[&str]) -> Self {
        Self::start_with(fast_emulator(), extra, false).await
    }

    /// The product with `extra` properties, in front of an emulator started with `options`,
    /// through a fault proxy when `proxied`.
    pub async fn start_with(options: EmulatorOptions, extra: &[&str], proxied: bool) -> Self {
        super::logs::capture();
        let _ = rustls::crypto::ring::default_provider().install_default();
        let emulator = emulator::spawn(options).await.expect("emulator starts");
        let proxy = if proxied {
            Some(FaultProxy::start(emulator.addr()).await)
        } else {
            None
        };
        let rest_port = proxy
            .as_ref()
            .map(|p| p.address().port())
            .unwrap_or(emulator.addr().port());
        let dir = tempfile::tempdir().expect("data directory");
        let config = config(properties(rest_port, dir.path(), extra));
        let app = App::start(&config, &AppOptions::default())
            .await
            .expect("the product starts");
        Self {
            address: app.server.address(Security::Plain).expect("plain listener"),
            tls_address: app.server.address(Security::Implicit),
            app: Some(app),
            emulator,
            proxy,
            dir,
        }
    }

    /// The running app.
    pub fn app(&self) -> &App {
        self.app.as_ref().expect("running")
    }

    /// The listeners' gauges.
    pub fn gauges(&self) -> Arc<Gauges> {
        self.app().server.gauges()
    }

    /// A connection logged in with a password.
    pub async fn login(&self, user: &str, password: &str) -> RawClient {
        RawClient::login(self.address, user, password).await
    }

    /// A demo user's connection (the password is the user name).
    pub async fn user(&self, user: &str) -> RawClient {
        self.login(user, user).await
    }

    /// The data directory.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// Shuts the product down.
    pub async fn shutdown(mut self) {
        if let Some(app) = self.app.take() {
            app.shutdown().await;
        }
    }
}

/// The product binary.
pub const BINARY: &str = env!("CARGO_BIN_EXE_alfresco-imap");

/// What `serve` prints on stderr once it listens.
const LISTENING: &str = "alfresco-imap serve: listening on ";

/// `alfresco-imap serve` as a child process of the test, in front of a repository on
/// 127.0.0.1, with its stdout and stderr in a file of the test log directory. Killed (by its
/// PID) when dropped.
pub struct ProductProcess {
    child: std::process::Child,
    /// The plain IMAP address.
    pub address: SocketAddr,
    /// The IMAPS address, when enabled.
    pub tls_address: Option<SocketAddr>,
    /// The file holding its stdout and stderr.
    pub log: PathBuf,
    /// The data directory (state store, spool).
    pub dir: tempfile::TempDir,
}

impl ProductProcess {
    /// Runs `alfresco-imap serve` with [`properties`] for the repository on `rest_port`, logging
    /// at `debug`, and `extra` (which wins); returns once it listens.
    pub async fn spawn(rest_port: u16, extra: &[&str]) -> Self {
        use std::process::{Command, Stdio};
        let dir = tempfile::tempdir().expect("data directory");
        let mut defines = properties(rest_port, dir.path(), &["imap.sidecar.log.level=debug"]);
        defines.extend(extra.iter().map(|s| (*s).to_owned()));
        let (file, log) = super::logs::child_file("product");
        let mut command = Command::new(BINARY);
        command.arg("serve");
        for define in &defines {
            command.arg("-D").arg(define);
        }
        let child = command
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::from(file.try_clone().expect("the log file")))
            .stderr(Stdio::from(file))
            .spawn()
            .expect("the product binary starts");
        let mut process = Self {
            child,
            address: ([127, 0, 0, 1], 0).into(),
            tls_address: None,
            log,
            dir,
        };
        let guard = tokio::time::Instant::now() + super::client::GUARD;
        loop {
            let text = process.log_text();
            if let Some(line) = text.lines().find(|l| l.starts_with(LISTENING)) {
                process.listening(line);
                return process;
            }
            if let Ok(Some(status)) = process.child.try_wait() {
                panic!("the product exited ({status}) before listening:\n{text}");
            }
            assert!(
                tokio::time::Instant::now() < guard,
                "the product never listened:\n{text}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Takes the addresses from `listening on IMAP 127.0.0.1:1, IMAPS 127.0.0.1:2; repository …`.
    fn listening(&mut self, line: &str) {
        let list = line[LISTENING.len()..].split(';').next().unwrap_or("");
        for item in list.split(", ") {
            match item.split_once(' ') {
                Some(("IMAP", address)) => self.address = address.parse().expect("an address"),
                Some(("IMAPS", address)) => {
                    self.tls_address = Some(address.parse().expect("an address"))
                }
                _ => panic!("unexpected listener in {line:?}"),
            }
        }
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` to the product (and to nothing else).
    pub fn signal(&self, signal: i32) {
        let pid = i32::try_from(self.pid()).expect("a PID");
        // SAFETY: kill(2) with the PID of our own child, which has not been reaped yet.
        let result = unsafe { libc::kill(pid, signal) };
        assert_eq!(result, 0, "kill({pid}, {signal})");
    }

    /// Everything it wrote on stdout and stderr so far.
    pub fn log_text(&self) -> String {
        super::logs::read(&self.log)
    }

    /// A `/proc/<pid>/status` field in KiB (`VmHWM` is the peak resident set size).
    pub fn status_kib(&self, field: &str) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// A connection logged in with a password.
    pub async fn login(&self, user: &str, password: &str) -> RawClient {
        RawClient::login(self.address, user, password).await
    }

    /// Stops it with SIGTERM (a graceful shutdown), waits for it, and returns its output.
    pub async fn stop(mut self) -> String {
        self.signal(libc::SIGTERM);
        let guard = tokio::time::Instant::now() + super::client::GUARD;
        while self.child.try_wait().expect("wait").is_none() {
            assert!(
                tokio::time::Instant::now() < guard,
                "the product did not stop on SIGTERM"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.log_text()
    }
}

impl Drop for ProductProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Waits until `check` holds, looking every few milliseconds; fails after the guard time
/// (a guard against hangs, not a timing assertion).
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let guard = tokio::time::Instant::now() + super::client::GUARD;
    while !check() {
        assert!(
            tokio::time::Instant::now() < guard,
            "never happened: {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// CPU time (user and system) process `pid` has used so far, from `/proc/<pid>/stat`.
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name, which is in parentheses: utime and stime are the
    // 12th and 13th of them, in clock ticks (100 a second on Linux).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}
