//! Every log line of a test run kept on disk, so that a check can look through all of it for
//! secrets ([`super::secrets`]): the in-process product's `tracing` output goes to
//! `<dir>/<test binary>-<pid>.log`, a product child's stdout and stderr to
//! `<dir>/<test binary>-<pid>-<name>-<n>.log`.
//!
//! `<dir>` is `ALFRESCO_IMAP_TEST_LOG_DIR` when set, else `target/test-logs`. The level is
//! `ALFRESCO_IMAP_TEST_LOG` (an `EnvFilter`), `debug` unless set; a suite may ask for more with
//! [`capture_with`] before anything else logs.

#![allow(dead_code)]

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The variable that names the log directory.
pub const DIR_VAR: &str = "ALFRESCO_IMAP_TEST_LOG_DIR";
/// The variable that sets the level of the captured logs.
pub const LEVEL_VAR: &str = "ALFRESCO_IMAP_TEST_LOG";
/// The level used unless [`LEVEL_VAR`] is set.
pub const DEFAULT_LEVEL: &str = "debug";

/// The directory every test process writes its logs into (created on first use).
pub fn dir() -> PathBuf {
    let dir = match std::env::var_os(DIR_VAR) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        // CARGO_TARGET_TMPDIR is <target>/tmp.
        _ => Path::new(env!("CARGO_TARGET_TMPDIR"))
            .parent()
            .map(|target| target.join("test-logs"))
            .unwrap_or_else(|| PathBuf::from("target/test-logs")),
    };
    std::fs::create_dir_all(&dir).expect("the test log directory");
    dir
}

/// The name of this test binary, without cargo's hash suffix.
fn binary() -> String {
    let exe = std::env::current_exe().unwrap_or_default();
    let stem = exe
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "test".into());
    match stem.rsplit_once('-') {
        Some((name, hash)) if hash.chars().all(|c| c.is_ascii_hexdigit()) => name.to_owned(),
        _ => stem,
    }
}

/// The file this process's `tracing` output goes to, once [`capture`] ran.
pub fn own_file() -> PathBuf {
    dir().join(format!("{}-{}.log", binary(), std::process::id()))
}

static INSTALLED: OnceLock<Option<PathBuf>> = OnceLock::new();

/// Sends this process's `tracing` output, at the level [`LEVEL_VAR`] names, to [`own_file`];
/// does nothing after the first call. Returns the file, or `None` when another subscriber was
/// installed first.
pub fn capture() -> Option<PathBuf> {
    let level = std::env::var(LEVEL_VAR).unwrap_or_else(|_| DEFAULT_LEVEL.into());
    capture_with(&level)
}

/// [`capture`] at `level` (an `EnvFilter`; [`LEVEL_VAR`] still wins when set).
pub fn capture_with(level: &str) -> Option<PathBuf> {
    INSTALLED
        .get_or_init(|| {
            let level = std::env::var(LEVEL_VAR).unwrap_or_else(|_| level.to_owned());
            remove_old_logs();
            let path = own_file();
            let file = File::create(&path).expect("the test log file");
            let installed = tracing_subscriber::fmt()
                .with_env_filter(
                    tracing_subscriber::EnvFilter::builder()
                        .parse(&level)
                        .expect("a valid log filter"),
                )
                .with_ansi(false)
                .with_writer(Mutex::new(file))
                .try_init();
            installed.is_ok().then_some(path)
        })
        .clone()
}

/// Removes the logs of runs older than a day, so the directory does not grow without end.
fn remove_old_logs() {
    let Ok(entries) = std::fs::read_dir(dir()) else {
        return;
    };
    let day_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(24 * 3600);
    for entry in entries.filter_map(Result::ok) {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|modified| modified < day_ago);
        if old && entry.path().extension().is_some_and(|x| x == "log") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// What this process logged so far (empty before [`capture`]).
pub fn own_text() -> String {
    match INSTALLED.get() {
        Some(Some(path)) => read(path),
        _ => String::new(),
    }
}

/// A new file for a child process's output, named after `name`: give it to `Stdio::from` for
/// stdout and (cloned) stderr.
pub fn child_file(name: &str) -> (File, PathBuf) {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let path = dir().join(format!(
        "{}-{}-{name}-{n}.log",
        binary(),
        std::process::id()
    ));
    let file = File::create(&path).expect("the child's log file");
    (file, path)
}

/// A log file's text (invalid UTF-8 replaced).
pub fn read(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned()
}
