//! Dovecot as the reference: started by the bench as its own process on 127.0.0.1 with a
//! generated configuration, users in a password file and mail in Maildir folders under a
//! temporary directory, stopped by its process id.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

use crate::error::{BenchError, Result};

/// Where the Debian package installs the server.
const PROGRAM: &str = "/usr/sbin/dovecot";

/// Whether Dovecot is installed.
pub fn installed() -> bool {
    Path::new(PROGRAM).exists()
}

/// A Maildir being filled before Dovecot starts.
pub struct Maildirs {
    dir: tempfile::TempDir,
    users: Vec<String>,
    serial: u64,
}

impl Maildirs {
    /// An empty set of mailboxes in a new temporary directory.
    pub fn new() -> Result<Maildirs> {
        Ok(Maildirs {
            dir: tempfile::Builder::new()
                .prefix("bench-dovecot-")
                .tempdir()?,
            users: Vec::new(),
            serial: 0,
        })
    }

    /// Adds a user (password [`crate::emulator_role::PASSWORD`]) with an empty INBOX.
    pub fn add_user(&mut self, user: &str) -> Result<()> {
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(self.folder(user, None).join(sub))?;
        }
        self.users.push(user.to_owned());
        Ok(())
    }

    fn folder(&self, user: &str, folder: Option<&str>) -> PathBuf {
        let root = self.dir.path().join("mail").join(user);
        match folder {
            None => root,
            Some(name) => root.join(format!(".{name}")),
        }
    }

    /// Adds a message to `folder` (None: INBOX), written by `write`.
    pub fn add_message(
        &mut self,
        user: &str,
        folder: Option<&str>,
        write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
    ) -> Result<()> {
        let path = self.folder(user, folder);
        if folder.is_some() && !path.exists() {
            for sub in ["cur", "new", "tmp"] {
                std::fs::create_dir_all(path.join(sub))?;
            }
        }
        self.serial += 1;
        let name = format!(
            "{}.M{}P1.bench:2,",
            1_740_988_800 + self.serial,
            self.serial
        );
        let mut file = std::fs::File::create(path.join("cur").join(name))?;
        write(&mut file)?;
        file.flush()?;
        Ok(())
    }

    /// Writes the configuration and starts Dovecot; waits until it greets.
    pub async fn start(self) -> Result<Dovecot> {
        let root = self.dir.path();
        for sub in ["run", "state", "home"] {
            std::fs::create_dir_all(root.join(sub))?;
        }
        let mut passwd = String::new();
        for user in &self.users {
            passwd.push_str(&format!(
                "{user}:{{PLAIN}}{}::::::\n",
                crate::emulator_role::PASSWORD
            ));
        }
        std::fs::write(root.join("passwd"), passwd)?;
        // Dovecot will not read mail as root: the mail belongs to its own system user.
        let (uid, gid) = system_user("dovecot")
            .ok_or_else(|| BenchError::Worker("no system user dovecot".into()))?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755))?;
        for sub in ["mail", "home"] {
            std::fs::create_dir_all(root.join(sub))?;
            chown_tree(&root.join(sub), uid, gid)?;
        }
        let port = free_port()?;
        let root_text = root.display();
        let config = format!(
            "protocols = imap\n\
             listen = 127.0.0.1\n\
             base_dir = {root_text}/run\n\
             state_dir = {root_text}/state\n\
             log_path = {root_text}/dovecot.log\n\
             ssl = no\n\
             disable_plaintext_auth = no\n\
             auth_mechanisms = plain login\n\
             default_internal_user = dovecot\n\
             default_login_user = dovenull\n\
             first_valid_uid = {uid}\n\
             mail_location = maildir:{root_text}/mail/%u\n\
             passdb {{\n  driver = passwd-file\n  args = {root_text}/passwd\n}}\n\
             userdb {{\n  driver = static\n  args = uid={uid} gid={gid} home={root_text}/home/%u\n}}\n\
             service imap-login {{\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n  inet_listener imaps {{\n    port = 0\n  }}\n}}\n\
             protocol imap {{\n  mail_max_userip_connections = 100000\n}}\n"
        );
        let config_path = root.join("dovecot.conf");
        std::fs::write(&config_path, config)?;
        let child = Command::new(PROGRAM)
            .arg("-F")
            .arg("-c")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| BenchError::Worker(format!("cannot start dovecot: {e}")))?;
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        let dovecot = Dovecot {
            child,
            address,
            maildirs: self,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if crate::client::Client::connect(address).await.is_ok() {
                return Ok(dovecot);
            }
            if Instant::now() > deadline {
                let log = std::fs::read_to_string(dovecot.maildirs.dir.path().join("dovecot.log"))
                    .unwrap_or_default();
                dovecot.stop().await;
                return Err(BenchError::Timeout(format!("dovecot did not start: {log}")));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A running Dovecot.
pub struct Dovecot {
    child: Child,
    /// Where it listens for plain IMAP.
    pub address: SocketAddr,
    maildirs: Maildirs,
}

impl Dovecot {
    /// What Dovecot logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.maildirs.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    /// The master process's id.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Stops Dovecot (SIGTERM to the master, by its id) and removes its files.
    pub async fn stop(mut self) {
        if let Some(pid) = self.child.id().and_then(|p| i32::try_from(p).ok()) {
            // SAFETY: kill only sends a signal to the process this bench started.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
        }
        if tokio::time::timeout(Duration::from_secs(20), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
        drop(self.maildirs);
    }
}

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// The user and group ids of a system user, from `/etc/passwd`.
fn system_user(name: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.first() != Some(&name) {
            return None;
        }
        Some((fields.get(2)?.parse().ok()?, fields.get(3)?.parse().ok()?))
    })
}

/// Gives a directory tree to `uid`:`gid`.
fn chown_tree(path: &Path, uid: u32, gid: u32) -> std::io::Result<()> {
    std::os::unix::fs::chown(path, Some(uid), Some(gid))?;
    if path.is_dir() {
        for entry in std::fs::read_dir(path)? {
            chown_tree(&entry?.path(), uid, gid)?;
        }
    }
    Ok(())
}
