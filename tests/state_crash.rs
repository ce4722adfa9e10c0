//! Crash safety of the SQLite state store.
//!
//! A writer process (this test binary run again, selected by an environment variable)
//! allocates, flags, replaces and retires messages in a tight loop, printing a line after each
//! committed transaction. The parent kills it with SIGKILL after a random number of lines,
//! several times over, and checks after each kill that the file is intact, that nothing the
//! writer reported as committed was lost, that rows the writer never touched are unchanged,
//! and that allocation carries on without repeating a UID.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use alfresco_imap::clock;
use alfresco_imap::state::sqlite::SqliteStore;
use alfresco_imap::state::{
    FlagOp, FlagUpdate, Flags, MailboxKey, MessageRecord, NewMessage, StateStore, Uid,
};
use rand::Rng;

/// Names the state file the writer works on; its absence makes [`crash_writer`] a no-op.
const WRITER_FILE: &str = "ALFRESCO_IMAP_STATE_CRASH_FILE";
/// Distinguishes the node ids of successive writers.
const WRITER_ROUND: &str = "ALFRESCO_IMAP_STATE_CRASH_ROUND";

const ROUNDS: usize = 12;
const ANCHORS: usize = 5;

fn key() -> MailboxKey {
    MailboxKey {
        folder_id: "folder-1".into(),
        view: "archive".into(),
    }
}

fn flags(names: &[&str]) -> Flags {
    let mut flags = Flags::default();
    for name in names {
        match *name {
            "\\Seen" => flags.seen = true,
            "\\Flagged" => flags.flagged = true,
            keyword => {
                flags.keywords.insert(keyword.to_owned());
            }
        }
    }
    flags
}

fn message(node: String, identity: &str) -> NewMessage {
    NewMessage {
        node_id: node,
        identity: identity.to_owned(),
        shared_flags: Flags::default(),
        default_seen: false,
        private_flags: None,
        replaces: None,
        pin: None,
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The writer's entry point; does nothing unless started by the crash test.
#[test]
fn crash_writer() {
    let Ok(path) = std::env::var(WRITER_FILE) else {
        return;
    };
    let round = std::env::var(WRITER_ROUND).unwrap_or_default();
    runtime().block_on(write_until_killed(Path::new(&path), &round));
}

async fn write_until_killed(path: &Path, round: &str) {
    let store = SqliteStore::open(path, clock::system()).unwrap();
    let mailbox = store.open_mailbox(&key(), "INBOX").await.unwrap().id;
    for step in 0u64.. {
        let mut batch: Vec<NewMessage> = (0..step % 3 + 1)
            .map(|i| message(format!("w{round}-{step}-{i}"), "v1"))
            .collect();
        batch[0].private_flags = Some(("alice".into(), flags(&["\\Seen"])));
        let allocation = store
            .allocate(mailbox, &batch, step % 5 == 0)
            .await
            .unwrap();
        let uids: Vec<String> = allocation.uids.iter().map(Uid::to_string).collect();
        println!("progress alloc {}", uids.join(","));

        let first = allocation.uids[0];
        let update = FlagUpdate {
            uids: vec![first],
            op: FlagOp::Add,
            flags: flags(&["\\Flagged", &format!("$Step{step}")]),
            unchanged_since: None,
        };
        let outcome = store.store_flags(mailbox, "alice", &update).await.unwrap();
        println!("progress flag {first} {}", outcome.changed[0].modseq);

        if step % 4 == 1 {
            let mut changed = message(format!("w{round}-{step}-0"), "v2");
            changed.replaces = Some(first);
            let allocation = store.allocate(mailbox, &[changed], false).await.unwrap();
            println!(
                "progress replace {} {}",
                allocation.uids[0], allocation.retired[0]
            );
        }
        if step % 4 == 3 {
            let last = *allocation.uids.last().unwrap();
            let retired = store.retire(mailbox, &[last]).await.unwrap();
            println!("progress retire {}", retired[0]);
        }
    }
}

/// Kills the writer if the test fails before it does.
struct Writer(Child);

impl Drop for Writer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What the writer reported as committed.
#[derive(Debug, Default)]
struct Reported {
    allocated: BTreeSet<Uid>,
    retired: BTreeSet<Uid>,
    highest_modseq: u64,
}

impl Reported {
    fn take(&mut self, line: &str) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let number = |i: usize| -> u64 { words[i].parse().unwrap() };
        match words[1] {
            "alloc" => {
                for uid in words[2].split(',') {
                    self.allocated.insert(uid.parse().unwrap());
                }
            }
            "flag" => self.highest_modseq = self.highest_modseq.max(number(3)),
            "replace" => {
                self.allocated.insert(number(2) as Uid);
                self.retired.insert(number(3) as Uid);
            }
            "retire" => {
                self.retired.insert(number(2) as Uid);
            }
            other => panic!("unknown progress line {other:?}"),
        }
    }
}

/// Runs a writer on `path` until it has reported `lines` commits, then kills it.
fn run_and_kill(path: &Path, round: usize, lines: usize, reported: &mut Reported) {
    let child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash_writer", "--nocapture", "--test-threads=1"])
        .env(WRITER_FILE, path)
        .env(WRITER_ROUND, round.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut writer = Writer(child);
    let stdout = writer.0.stdout.take().unwrap();
    let mut seen = 0;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if !line.starts_with("progress ") {
            continue;
        }
        reported.take(&line);
        seen += 1;
        if seen == lines {
            break;
        }
    }
    assert_eq!(seen, lines, "the writer stopped early (see its stderr)");
    writer.0.kill().unwrap();
    let status = writer.0.wait().unwrap();
    assert!(!status.success(), "the writer was killed, not finished");
}

fn integrity_check(path: &Path) {
    let conn = rusqlite::Connection::open(path).unwrap();
    let result: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    assert_eq!(result, "ok");
    let dangling: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(dangling, 0);
}

#[test]
fn killed_writer_leaves_a_consistent_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let runtime = runtime();

    // Rows the writer never touches.
    let (mailbox, uid_validity, anchors): (i64, u32, Vec<(MessageRecord, MessageRecord)>) = runtime
        .block_on(async {
            let store = SqliteStore::open(&path, clock::system()).unwrap();
            let record = store.open_mailbox(&key(), "INBOX").await.unwrap();
            let mut batch: Vec<NewMessage> = (0..ANCHORS)
                .map(|i| message(format!("anchor-{i}"), "v1"))
                .collect();
            batch[0].shared_flags = flags(&["\\Flagged", "$Anchor"]);
            batch[1].private_flags = Some(("alice".into(), flags(&["\\Seen"])));
            store.allocate(record.id, &batch, true).await.unwrap();
            let alice = store.snapshot(record.id, "alice").await.unwrap().messages;
            let bob = store.snapshot(record.id, "bob").await.unwrap().messages;
            (
                record.id,
                record.uid_validity,
                alice.into_iter().zip(bob).collect(),
            )
        });

    let mut rng = rand::rng();
    let mut reported = Reported::default();
    let mut parent_uids = BTreeSet::new();
    for round in 0..ROUNDS {
        let lines = rng.random_range(1..=40);
        run_and_kill(&path, round, lines, &mut reported);
        integrity_check(&path);

        runtime.block_on(async {
            let store = SqliteStore::open(&path, clock::system()).unwrap();
            let record = store.open_mailbox(&key(), "INBOX").await.unwrap();
            assert_eq!((record.id, record.uid_validity), (mailbox, uid_validity));
            let alice = store.snapshot(mailbox, "alice").await.unwrap();
            let bob = store.snapshot(mailbox, "bob").await.unwrap();
            for (anchor_alice, anchor_bob) in &anchors {
                assert!(alice.messages.contains(anchor_alice), "{anchor_alice:?}");
                assert!(bob.messages.contains(anchor_bob), "{anchor_bob:?}");
            }

            let tombstones: BTreeSet<Uid> = store
                .changes_since(mailbox, "alice", 0)
                .await
                .unwrap()
                .vanished
                .into_iter()
                .collect();
            let live: BTreeSet<Uid> = alice.messages.iter().map(|m| m.uid).collect();
            assert!(live.is_disjoint(&tombstones));
            for uid in reported.allocated.iter().chain(&parent_uids) {
                assert!(
                    live.contains(uid) || tombstones.contains(uid),
                    "committed UID {uid} was lost"
                );
            }
            for uid in &reported.retired {
                assert!(tombstones.contains(uid), "retired UID {uid} came back");
            }
            assert!(alice.highest_modseq >= reported.highest_modseq);
            let known_max = live
                .iter()
                .chain(&tombstones)
                .chain(&reported.allocated)
                .copied()
                .max()
                .unwrap();
            assert!(record.uid_next > known_max);

            // Allocation carries on above everything ever handed out.
            let next = store
                .allocate(mailbox, &[message(format!("parent-{round}"), "v1")], false)
                .await
                .unwrap();
            assert_eq!(next.uids, vec![record.uid_next]);
            parent_uids.insert(next.uids[0]);
        });
    }
    assert!(reported.allocated.len() >= ROUNDS);
}
