//! `kill -9` of the server process (this test binary run again, see [`crash_server`]) during a write-heavy run, then a restart on the same data
//! directory: the state store opens, UIDVALIDITY is unchanged, every message that was there
//! before keeps its UID, every APPEND answered OK is there with the UID it was given, and no
//! UID is handed out twice.

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::client::{GUARD, OnRefusal, RawClient, append_until_broken};
use common::product::{fast_emulator, properties};

/// A free port on 127.0.0.1 (bound, then released for the server to take).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Set in the server process: the repository port, the data directory and the IMAP port.
const SERVER_ENV: &str = "ALFRESCO_IMAP_CRASH_SERVER";

/// The server process: this test binary run again with [`SERVER_ENV`] set runs the product
/// until it is killed (without it, this test does nothing).
#[tokio::test]
async fn crash_server() {
    let Ok(setting) = std::env::var(SERVER_ENV) else {
        return;
    };
    let mut parts = setting.splitn(3, '|');
    let (Some(rest_port), Some(port), Some(dir)) = (parts.next(), parts.next(), parts.next())
    else {
        panic!("{SERVER_ENV} is rest_port|port|dir");
    };
    common::logs::capture();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let port_define = format!("imap.server.port={port}");
    let config = common::product::config(properties(
        rest_port.parse().unwrap(),
        Path::new(dir),
        &[port_define.as_str()],
    ));
    let _app = alfresco_imap::app::App::start(&config, &alfresco_imap::app::AppOptions::default())
        .await
        .expect("the product starts");
    std::future::pending::<()>().await;
}

/// Starts the server process on `port` and waits until it accepts connections.
async fn serve(rest_port: u16, data_dir: &Path, port: u16) -> Child {
    let (log, _) = common::logs::child_file("crash-server");
    let child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash_server", "--nocapture", "--test-threads=1"])
        .env(
            SERVER_ENV,
            format!("{rest_port}|{port}|{}", data_dir.display()),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::from(log.try_clone().expect("the log file")))
        .stderr(Stdio::from(log))
        .spawn()
        .expect("the server starts");
    let guard = tokio::time::Instant::now() + GUARD;
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            tokio::time::Instant::now() < guard,
            "the server never listened"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    child
}

/// UIDVALIDITY and UID -> Message-ID of INBOX.
async fn inbox(address: SocketAddr) -> (u32, BTreeMap<u32, String>) {
    let mut alice = RawClient::login(address, "alice", "alice").await;
    let selected = alice.command("s SELECT INBOX").await;
    let validity = selected
        .split("[UIDVALIDITY ")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .and_then(|v| v.parse().ok())
        .expect("SELECT names UIDVALIDITY");
    let fetched = alice
        .command("f UID FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        .await;
    let mut messages = BTreeMap::new();
    for item in fetched.split("* ").skip(1) {
        let Some(uid) = item
            .split("UID ")
            .nth(1)
            .and_then(|rest| rest.split([' ', ')']).next())
            .and_then(|uid| uid.parse::<u32>().ok())
        else {
            continue;
        };
        let id = item
            .split("Message-ID: ")
            .nth(1)
            .or_else(|| item.split("Message-Id: ").nth(1))
            .and_then(|rest| rest.split("\r\n").next())
            .unwrap_or("")
            .to_owned();
        messages.insert(uid, id);
    }
    (validity, messages)
}

/// Appends to alice's INBOX until the connection breaks; returns Message-ID -> UID of every
/// APPEND answered OK.
async fn writer(address: SocketAddr, me: usize) -> BTreeMap<String, u32> {
    let message = |n| {
        let id = format!("<crash-{me}-{n}@test>");
        let message = format!("Subject: crash {me} {n}\r\nMessage-ID: {id}\r\n\r\nbody\r\n");
        (id, message.into_bytes())
    };
    append_until_broken(address, "alice", "INBOX", message, OnRefusal::Continue).await
}

#[tokio::test]
async fn kill_9_during_writes_keeps_uids_and_uidvalidity() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let emulator = alfresco_imap::emulator::spawn(fast_emulator())
        .await
        .expect("emulator starts");
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let address: SocketAddr = ([127, 0, 0, 1], port).into();
    let rest_port = emulator.addr().port();

    let mut server = serve(rest_port, dir.path(), port).await;
    let (validity, before) = inbox(address).await;
    assert!(!before.is_empty(), "the demo INBOX has messages");

    // Four writers; the server is killed once they have stored some messages between them.
    let writers: Vec<_> = (0..4).map(|me| tokio::spawn(writer(address, me))).collect();
    let emulator_handle = &emulator;
    let inbox_path = "Imap Home/alice/INBOX";
    let folder = emulator_handle.node_id(inbox_path).expect(inbox_path);
    let stored = || {
        emulator_handle.with_repository(|r| r.live(&folder).map(|f| f.children.len()).unwrap_or(0))
    };
    let start = stored();
    let guard = tokio::time::Instant::now() + GUARD;
    while stored() < start + 40 {
        assert!(
            tokio::time::Instant::now() < guard,
            "the writers stored nothing"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    server.kill().expect("SIGKILL");
    server.wait().expect("the killed server is reaped");
    let mut confirmed = BTreeMap::new();
    for writer in writers {
        confirmed.extend(writer.await.unwrap());
    }
    assert!(
        !confirmed.is_empty(),
        "no APPEND was answered before the kill"
    );

    let mut server = serve(rest_port, dir.path(), port).await;
    let (validity_after, after) = inbox(address).await;
    assert_eq!(
        validity_after, validity,
        "UIDVALIDITY changed across the crash"
    );
    for (uid, id) in &before {
        assert_eq!(
            after.get(uid),
            Some(id),
            "message {id} lost its UID {uid} across the crash"
        );
    }
    let by_id: BTreeMap<&String, u32> = after.iter().map(|(uid, id)| (id, *uid)).collect();
    for (id, uid) in &confirmed {
        assert_eq!(by_id.get(id), Some(uid), "{id} was answered with UID {uid}");
    }
    // No UID is reused: a new message gets a UID above every one handed out before.
    let highest = before
        .keys()
        .chain(confirmed.values())
        .chain(after.keys())
        .max()
        .copied()
        .unwrap_or(0);
    let mut alice = RawClient::login(address, "alice", "alice").await;
    let message = "Subject: after\r\nMessage-ID: <after@test>\r\n\r\nbody\r\n";
    let appended = alice
        .command(&format!(
            "a APPEND INBOX {{{}+}}\r\n{message}",
            message.len()
        ))
        .await;
    let uid: u32 = appended
        .split_whitespace()
        .nth(4)
        .and_then(|uid| uid.trim_end_matches(']').parse().ok())
        .expect("APPENDUID names the UID");
    assert!(
        uid > highest,
        "UID {uid} after the crash is not above {highest}"
    );
    server.kill().expect("stop the server");
    server.wait().expect("reaped");
}
