//! Real IMAP clients driven against any server address: Python's `imaplib` (a scripted session,
//! `tests/clients/imaplib_session.py`), `curl` and `mbsync` (isync).
//!
//! Nothing here knows which server it talks to: a [`Target`] is a host, a port, credentials and
//! the mailboxes the user should see, so the same clients run against the in-memory test server
//! (`tests/clients.rs`) and against the product with Alfresco behind it. Every client run is
//! bounded by [`GUARD`] against hangs; none waits otherwise.

#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::Command;

use super::client::GUARD;
use super::external;

/// An IMAP server a client is pointed at, and what the user should find there.
#[derive(Debug, Clone)]
pub struct Target {
    /// Host name or address (loopback only in tests).
    pub host: String,
    /// Plain IMAP port.
    pub port: u16,
    /// Login name.
    pub user: String,
    /// Password.
    pub password: String,
    /// Every mailbox `LIST "" "*"` shows the user, in any order.
    pub mailboxes: Vec<String>,
}

impl Target {
    /// A target at `address`.
    pub fn new(address: SocketAddr, user: &str, password: &str, mailboxes: &[&str]) -> Self {
        Self {
            host: address.ip().to_string(),
            port: address.port(),
            user: user.to_owned(),
            password: password.to_owned(),
            mailboxes: mailboxes.iter().map(|m| (*m).to_owned()).collect(),
        }
    }

    /// `imap://host:port/` followed by `path` (already URL-encoded).
    pub fn url(&self, path: &str) -> String {
        format!("imap://{}:{}/{path}", self.host, self.port)
    }
}

// ---------------------------------------------------------------------------------------
// Python imaplib

/// Whether `python3` runs (else the test skips, or fails under
/// `ALFRESCO_IMAP_REQUIRE_EXTERNAL=1`).
pub fn python_available(test: &str) -> bool {
    external::available(test, "python3", "--version", "Python 3", "python3")
}

/// What the scripted imaplib session does besides its fixed steps.
#[derive(Debug, Clone)]
pub struct ImaplibPlan {
    /// Where it COPYs a message from INBOX (must be listed).
    pub copy_to: String,
    /// Where it MOVEs a message from INBOX with `UID MOVE` (must be listed).
    pub move_to: String,
    /// The subject of the message the caller delivers to INBOX while the script idles.
    pub idle_subject: String,
}

/// What the scripted session reports (its `RESULT` line): the messages it left behind.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ImaplibResult {
    /// INBOX's UIDVALIDITY.
    pub validity: u32,
    /// The message that stays in INBOX.
    pub plain: Placed,
    /// The copy of `plain` in the COPY target.
    pub copied: Placed,
    /// The message moved to the MOVE target.
    pub moved: Placed,
    /// The message expunged from INBOX.
    pub expunged: Placed,
}

/// A message the session left somewhere.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Placed {
    /// The mailbox (INBOX when absent).
    #[serde(default)]
    pub mailbox: Option<String>,
    /// Its UID there.
    pub uid: u32,
    /// Its bytes (the script's text, CRLF line ends).
    pub text: String,
}

/// Runs `tests/clients/imaplib_session.py` against `target`; when the script says it is
/// idling, awaits `deliver` (which must put a message with `plan.idle_subject` into the user's
/// INBOX). Panics with the script's transcript when it fails.
pub async fn imaplib_session(
    target: &Target,
    plan: &ImaplibPlan,
    deliver: impl Future<Output = ()>,
) -> ImaplibResult {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/imaplib_session.py");
    let mut command = Command::new("python3");
    command
        .arg(script)
        .args([&target.host, &target.port.to_string(), &target.user])
        .arg(&target.password);
    for mailbox in &target.mailboxes {
        command.args(["--mailbox", mailbox]);
    }
    command
        .args(["--copy-to", &plan.copy_to])
        .args(["--move-to", &plan.move_to])
        .args(["--idle-subject", &plan.idle_subject])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command.spawn().expect("python3 starts");
    let mut stderr = child.stderr.take().expect("stderr");
    let transcript = tokio::spawn(async move {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text).await;
        text
    });
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let run = async {
        let mut deliver = Some(deliver);
        let mut result = None;
        while let Some(line) = stdout.next_line().await.expect("script output") {
            if line == "IDLING" {
                if let Some(deliver) = deliver.take() {
                    deliver.await;
                }
            } else if let Some(json) = line.strip_prefix("RESULT ") {
                result = Some(json.to_owned());
            }
        }
        (child.wait().await.expect("python3 ends"), result)
    };
    let (status, result) = tokio::time::timeout(GUARD, run)
        .await
        .expect("the imaplib session did not finish in time");
    let transcript = transcript.await.unwrap_or_default();
    assert!(
        status.success(),
        "the imaplib session failed ({status}):\n{transcript}"
    );
    let result = result.unwrap_or_else(|| panic!("no RESULT line; transcript:\n{transcript}"));
    serde_json::from_str(&result).expect("RESULT is JSON")
}

// ---------------------------------------------------------------------------------------
// curl

/// Whether `curl` runs and speaks IMAP (else the test skips, or fails under
/// `ALFRESCO_IMAP_REQUIRE_EXTERNAL=1`).
pub fn curl_available(test: &str) -> bool {
    external::available(test, "curl", "--version", " imap ", "curl")
}

/// `curl` against a target.
#[derive(Debug, Clone)]
pub struct Curl<'a> {
    target: &'a Target,
}

impl<'a> Curl<'a> {
    /// A curl client for `target`.
    pub fn new(target: &'a Target) -> Self {
        Self { target }
    }

    /// What curl prints for `imap://host:port/<path>` (`path` URL-encoded, e.g.
    /// `INBOX;UID=1;SECTION=HEADER`), with `extra` arguments; panics unless curl succeeds.
    pub async fn get(&self, path: &str, extra: &[&str]) -> Vec<u8> {
        let output = self.run(path, extra).await;
        assert!(
            output.status.success(),
            "curl {path} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        output.stdout
    }

    /// Runs curl for `path` and returns its exit status, output and error output.
    pub async fn run(&self, path: &str, extra: &[&str]) -> std::process::Output {
        self.run_url(&self.target.url(path), extra).await
    }

    /// Runs curl for a whole URL (e.g. `imaps://…`) with the target's credentials.
    pub async fn run_url(&self, url: &str, extra: &[&str]) -> std::process::Output {
        let credentials = format!("{}:{}", self.target.user, self.target.password);
        let run = Command::new("curl")
            .args(["--silent", "--show-error", "--user", &credentials])
            .args(extra)
            .arg(url)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output();
        tokio::time::timeout(GUARD, run)
            .await
            .expect("curl did not finish in time")
            .expect("curl starts")
    }

    /// APPENDs `message` to `mailbox` (`curl -T file imap://host:port/<mailbox>`).
    pub async fn append(&self, mailbox: &str, message: &[u8]) {
        let dir = tempfile::tempdir().expect("temporary directory");
        let file = dir.path().join("message.eml");
        std::fs::write(&file, message).expect("write the message");
        let file = file.to_string_lossy().into_owned();
        self.get(&url_path(mailbox), &["--upload-file", &file])
            .await;
    }
}

/// A mailbox name as a URL path segment (`/` stays the hierarchy delimiter).
pub fn url_path(mailbox: &str) -> String {
    mailbox
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// mbsync

/// Whether `mbsync` runs (else the test skips, or fails under
/// `ALFRESCO_IMAP_REQUIRE_EXTERNAL=1`).
pub fn mbsync_available(test: &str) -> bool {
    external::available(test, "mbsync", "--version", "isync", "isync")
}

/// An mbsync set-up in a temporary directory: every mailbox of the target's user mirrored
/// into a Maildir tree (`SubFolders Verbatim`), both ways, creating and expunging on both sides
/// (`Patterns *`, `Create Both`, `Expunge Both`, `SyncState *`), logging in with `LOGIN` over
/// plain IMAP.
#[derive(Debug)]
pub struct Mbsync {
    dir: tempfile::TempDir,
    config: PathBuf,
}

/// One `mbsync` run: the IMAP commands it sent, and everything it printed.
#[derive(Debug, Clone)]
pub struct SyncRun {
    /// The commands sent to the server, without tags, in order.
    pub commands: Vec<String>,
    /// mbsync's output (with the network trace).
    pub output: String,
}

impl SyncRun {
    /// The commands that change or download something: anything but logging in, listing,
    /// selecting, fetching UIDs and flags, closing and logging out. A literal's length at the
    /// end of a command is shown as `{…}` (mbsync adds headers of its own to what it uploads).
    pub fn transfers(&self) -> Vec<String> {
        let harmless = ["LOGIN ", "NAMESPACE", "LIST ", "SELECT ", "CLOSE", "LOGOUT"];
        self.commands
            .iter()
            .filter(|c| !harmless.iter().any(|h| c.starts_with(h)))
            .filter(|c| !(c.starts_with("UID FETCH ") && c.ends_with(" (UID FLAGS)")))
            .map(|c| match c.rfind(" {") {
                Some(at) if c.ends_with('}') => format!("{} {{…}}", &c[..at]),
                _ => c.clone(),
            })
            .collect()
    }
}

/// A message file of a Maildir.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaildirMessage {
    /// Its path.
    pub path: PathBuf,
    /// The server UID mbsync recorded in the name (`,U=n`), if any.
    pub uid: Option<u32>,
    /// The Maildir flags (`:2,<flags>`), e.g. `FS`.
    pub flags: String,
    /// Its bytes as mbsync wrote them (LF line ends, maybe an `X-TUID` header).
    pub bytes: Vec<u8>,
}

impl Mbsync {
    /// A configuration for `target` in a new temporary directory.
    pub fn new(target: &Target) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let maildir = dir.path().join("mail");
        std::fs::create_dir(&maildir).expect("mail directory");
        let config = dir.path().join("mbsyncrc");
        // `FSync no`: the Maildir is thrown away after the test, and syncing every file to
        // disk costs mbsync about 10 ms per message.
        let text = format!(
            "FSync no\n\
             \n\
             IMAPAccount server\n\
             Host {host}\n\
             Port {port}\n\
             User {user}\n\
             Pass {password}\n\
             SSLType None\n\
             AuthMechs LOGIN\n\
             \n\
             IMAPStore far\n\
             Account server\n\
             \n\
             MaildirStore near\n\
             Path {maildir}/\n\
             Inbox {maildir}/INBOX\n\
             SubFolders Verbatim\n\
             \n\
             Channel everything\n\
             Far :far:\n\
             Near :near:\n\
             Patterns *\n\
             Create Both\n\
             Expunge Both\n\
             SyncState *\n",
            host = target.host,
            port = target.port,
            user = quote(&target.user),
            password = quote(&target.password),
            maildir = maildir.display(),
        );
        std::fs::write(&config, text).expect("write mbsyncrc");
        Self { dir, config }
    }

    /// The Maildir of `mailbox` (e.g. `INBOX`, `Shared/Projects`).
    pub fn maildir(&self, mailbox: &str) -> PathBuf {
        self.dir.path().join("mail").join(mailbox)
    }

    /// Runs `mbsync --all` with the IMAP trace on; panics unless it succeeds.
    pub async fn sync(&self) -> SyncRun {
        self.backdate();
        let run = Command::new("mbsync")
            .arg("--config")
            .arg(&self.config)
            .args(["-Dn", "--all"])
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output();
        let output = tokio::time::timeout(GUARD, run)
            .await
            .expect("mbsync did not finish in time")
            .expect("mbsync starts");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            output.status.success(),
            "mbsync failed ({}):\n{text}",
            output.status
        );
        let commands = text
            .lines()
            .filter_map(|line| line.split_once(">>> ").map(|(_, sent)| sent))
            .filter_map(|sent| {
                sent.split_once(' ')
                    .map(|(_tag, command)| command.to_owned())
            })
            .collect();
        SyncRun {
            commands,
            output: text,
        }
    }

    /// Moves the modification time of every Maildir folder two seconds into the past: mbsync
    /// sleeps a second before it reads a folder changed within the current second (so that
    /// a change in the same second cannot go unnoticed), which tests need not wait for.
    fn backdate(&self) {
        let past = std::time::SystemTime::now() - std::time::Duration::from_secs(2);
        let mut folders = vec![self.dir.path().join("mail")];
        while let Some(folder) = folders.pop() {
            let Ok(entries) = std::fs::read_dir(&folder) else {
                continue;
            };
            for entry in entries.flatten() {
                if entry.path().is_dir() {
                    folders.push(entry.path());
                }
            }
            if let Ok(file) = std::fs::File::open(&folder) {
                let _ = file.set_modified(past);
            }
        }
    }

    /// The messages of a mailbox's Maildir (`new` and `cur`), by file name.
    pub fn messages(&self, mailbox: &str) -> Vec<MaildirMessage> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(self.maildir(mailbox).join(sub)) else {
                continue;
            };
            for entry in entries {
                let path = entry.expect("directory entry").path();
                let name = path
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned();
                let (base, flags) = name.split_once(":2,").unwrap_or((&name, ""));
                let uid = base
                    .split(',')
                    .find_map(|field| field.strip_prefix("U="))
                    .and_then(|uid| uid.parse().ok());
                out.push(MaildirMessage {
                    bytes: std::fs::read(&path).expect("read a message"),
                    flags: flags.to_owned(),
                    uid,
                    path,
                });
            }
        }
        out.sort_by(|a, b| a.path.file_name().cmp(&b.path.file_name()));
        out
    }

    /// The mailboxes that have a Maildir, as IMAP names.
    pub fn mailboxes(&self) -> Vec<String> {
        fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let name = entry.file_name().to_string_lossy().into_owned();
                if !path.is_dir() || ["new", "cur", "tmp"].contains(&name.as_str()) {
                    continue;
                }
                if path.join("cur").is_dir() {
                    let relative = path.strip_prefix(root).unwrap_or(&path);
                    out.push(relative.to_string_lossy().into_owned());
                }
                walk(root, &path, out);
            }
        }
        let root = self.dir.path().join("mail");
        let mut out = Vec::new();
        walk(&root, &root, &mut out);
        out.sort();
        out
    }

    /// Stores a new message in a mailbox's Maildir (`new/`), as a local mail program would.
    pub fn add_local(&self, mailbox: &str, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.maildir(mailbox).join("new").join(name);
        std::fs::write(&path, bytes).expect("write a local message");
        path
    }
}

/// A message as mbsync stores it in a Maildir: LF line ends, plus the `X-TUID` header mbsync
/// adds to messages it propagates (removed here, with its value).
pub fn without_tuid(maildir_bytes: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(maildir_bytes);
    text.split_inclusive('\n')
        .filter(|line| !line.starts_with("X-TUID: "))
        .collect::<String>()
        .into_bytes()
}

/// The bytes of a CRLF message with LF line ends.
pub fn lf(message: &str) -> Vec<u8> {
    message.replace("\r\n", "\n").into_bytes()
}

/// A value for mbsyncrc, quoted.
fn quote(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}
